use staticnn::network;

network! {
    block Down(cin, cout, stride = 1) {
        Add({ conv = Conv2d(cin, cout, 3, stride = stride, padding = 1) }, shortcut = Conv2d(cin, cout, 1, stride = stride))
    }
    pub struct Net: [4, 8, 8] {
        stack = Down(4, 8, strid = 2),
    }
}

fn main() {}

use staticnn::network;

network! {
    block Down(cin, cout, stride = 1) {
        Add({ conv = Conv2d(cin, cout, 3, stride = stride, padding = 1) }, shortcut = Conv2d(cin, cout, 1))
    }
    pub struct Net: [4, 8, 8] {
        stack1 = Down(4, 8),
        stack2 = Down(8, 16, stride = 2),
    }
}

fn main() {}

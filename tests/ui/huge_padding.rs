use staticnn::network;

// The macro used to panic here ("attempt to multiply with overflow"): the output's element
// count passes usize.
network! {
    pub struct Net: [32, 16, 16] {
        Conv2d(32, 32, kernel_size = 5, padding = 4294967295),
    }
}

fn main() {}

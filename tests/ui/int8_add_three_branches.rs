use staticnn::network;

// PyTorch quantizes each `+` on its own (one output quantization per add): an int8 `Add`
// takes exactly two branches.
network! {
    #[staticnn(quantized = "int8", weights = "../../examples/digits/digits_int8.safetensors")]
    pub struct DigitsInt8: [1, 8, 8] {
        Conv2d(1, 16, 3, padding = 1),
        ReLU(),
        MaxPool2d(2),
        Conv2d(16, 32, 3, padding = 1),
        ReLU(),
        MaxPool2d(2),
        Flatten(),
        Linear(128, 10),
        Add(Identity(), Identity(), Identity()),
    }
}

fn main() {}

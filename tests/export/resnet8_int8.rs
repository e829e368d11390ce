network! {
    /// ResNet8 quantized to int8 by PyTorch (tools/gen_int8_export.py).
    #[staticnn(quantized = "int8", weights = "tests/export/resnet8_int8.safetensors")]
    pub struct ResNet8Int8: [3, 32, 32] {
        conv1 = Conv2d(3, 16, 3, padding = 1),
        bn1 = BatchNorm2d(16),
        ReLU(),
        stack1 = {
            Add(
                {
                    conv1 = Conv2d(16, 16, 3, padding = 1),
                    bn1 = BatchNorm2d(16),
                    ReLU(),
                    conv2 = Conv2d(16, 16, 3, padding = 1),
                    bn2 = BatchNorm2d(16),
                },
                shortcut = Identity(),
            ),
            ReLU(),
        },
        stack2 = {
            Add(
                {
                    conv1 = Conv2d(16, 32, 3, stride = 2, padding = 1),
                    bn1 = BatchNorm2d(32),
                    ReLU(),
                    conv2 = Conv2d(32, 32, 3, padding = 1),
                    bn2 = BatchNorm2d(32),
                },
                shortcut = Conv2d(16, 32, 1, stride = 2),
            ),
            ReLU(),
        },
        stack3 = {
            Add(
                {
                    conv1 = Conv2d(32, 64, 3, stride = 2, padding = 1),
                    bn1 = BatchNorm2d(64),
                    ReLU(),
                    conv2 = Conv2d(64, 64, 3, padding = 1),
                    bn2 = BatchNorm2d(64),
                },
                shortcut = Conv2d(32, 64, 1, stride = 2),
            ),
            ReLU(),
        },
        pool = AvgPool2d(8),
        Flatten(),
        fc = Linear(64, 10),
    }
}

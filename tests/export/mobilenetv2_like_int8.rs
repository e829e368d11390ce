network! {
    /// MobileNetV2Like quantized to int8 by PyTorch (tools/gen_int8_export.py).
    #[staticnn(quantized = "int8", weights = "tests/export/mobilenetv2_like_int8.safetensors")]
    pub struct MobileNetV2LikeInt8: [3, 32, 32] {
        features = [
            [Conv2d(3, 8, 3, stride = 2, padding = 1, bias = False), BatchNorm2d(8), ReLU6()],
            Add(
                Identity(),
                {
                    conv = [
                        Conv2d(8, 16, 1, bias = False),
                        BatchNorm2d(16),
                        ReLU6(),
                        Conv2d(16, 16, 3, padding = 1, groups = 16, bias = False),
                        BatchNorm2d(16),
                        ReLU6(),
                    ],
                    project = [Conv2d(16, 8, 1, bias = False), BatchNorm2d(8)],
                },
            ),
            {
                conv = [
                    Conv2d(8, 24, 1, bias = False),
                    BatchNorm2d(24),
                    ReLU6(),
                    Conv2d(24, 24, 3, stride = 2, padding = 1, groups = 24, bias = False),
                    BatchNorm2d(24),
                    ReLU6(),
                ],
                project = [Conv2d(24, 16, 1, bias = False), BatchNorm2d(16)],
            },
            Add(
                Identity(),
                {
                    conv = [
                        Conv2d(16, 48, 1, bias = False),
                        BatchNorm2d(48),
                        ReLU6(),
                        Conv2d(48, 48, 3, padding = 1, groups = 48, bias = False),
                        BatchNorm2d(48),
                        ReLU6(),
                    ],
                    se = Mul(
                        Identity(),
                        {
                            AdaptiveAvgPool2d(1),
                            fc1 = Conv2d(48, 12, 1),
                            ReLU(),
                            fc2 = Conv2d(12, 48, 1),
                            Sigmoid(),
                        },
                    ),
                    project = [Conv2d(48, 16, 1, bias = False), BatchNorm2d(16)],
                },
            ),
            Add(
                Identity(),
                {
                    conv = [
                        Conv2d(16, 32, 1, bias = False),
                        BatchNorm2d(32),
                        ReLU6(),
                        Conv2d(32, 32, 3, padding = 1, groups = 32, bias = False),
                        BatchNorm2d(32),
                        ReLU6(),
                    ],
                    project = [Conv2d(32, 16, 1, bias = False), BatchNorm2d(16)],
                },
            ),
        ],
        AdaptiveAvgPool2d(1),
        Flatten(),
        classifier = Linear(16, 10),
    }
}

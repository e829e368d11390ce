network! {
    /// TvResNet quantized to int8 by PyTorch (tools/gen_int8_export.py).
    #[staticnn(quantized = "int8", weights = "tests/export/tv_resnet_int8.safetensors")]
    pub struct TvResNetInt8: [3, 16, 16] {
        conv1 = Conv2d(3, 8, 3, padding = 1, bias = False),
        bn1 = BatchNorm2d(8),
        relu = ReLU(inplace = True),
        maxpool = MaxPool2d(3, stride = 2, padding = 1),
        layer1 = [
            {
                Add(
                    {
                        conv1 = Conv2d(8, 8, 3, padding = 1, bias = False),
                        bn1 = BatchNorm2d(8),
                        relu = ReLU(inplace = True),
                        conv2 = Conv2d(8, 8, 3, padding = 1, bias = False),
                        bn2 = BatchNorm2d(8),
                    },
                    Identity(),
                ),
                ReLU(inplace = True),
            },
            {
                Add(
                    {
                        conv1 = Conv2d(8, 8, 3, padding = 1, bias = False),
                        bn1 = BatchNorm2d(8),
                        relu = ReLU(inplace = True),
                        conv2 = Conv2d(8, 8, 3, padding = 1, bias = False),
                        bn2 = BatchNorm2d(8),
                    },
                    Identity(),
                ),
                ReLU(inplace = True),
            },
        ],
        layer2 = [
            {
                Add(
                    {
                        conv1 = Conv2d(8, 16, 3, stride = 2, padding = 1, bias = False),
                        bn1 = BatchNorm2d(16),
                        relu = ReLU(inplace = True),
                        conv2 = Conv2d(16, 16, 3, padding = 1, bias = False),
                        bn2 = BatchNorm2d(16),
                    },
                    downsample = [Conv2d(8, 16, 1, stride = 2, bias = False), BatchNorm2d(16)],
                ),
                ReLU(inplace = True),
            },
            {
                Add(
                    {
                        conv1 = Conv2d(16, 16, 3, padding = 1, bias = False),
                        bn1 = BatchNorm2d(16),
                        relu = ReLU(inplace = True),
                        conv2 = Conv2d(16, 16, 3, padding = 1, bias = False),
                        bn2 = BatchNorm2d(16),
                    },
                    Identity(),
                ),
                ReLU(inplace = True),
            },
        ],
        avgpool = AdaptiveAvgPool2d((1, 1)),
        Flatten(),
        fc = Linear(16, 10),
    }
}

"""ResNet-18/34 (He et al., 2016) with the module names and tensor shapes of torchvision's ``resnet18``/``resnet34``.

torchvision cannot be installed beside the CPU torch this project pins (PyPI's build needs the CUDA torch), so the
two BasicBlock ResNets are written out here. At ``width=1`` the state dict is key-for-key and shape-for-shape
torchvision's (``conv1``, ``bn1``, ``layer1`` .. ``layer4`` of BasicBlocks with ``downsample.0``/``downsample.1``,
``fc``), so a torchvision weights file loads with ``load_state_dict(strict=True)``. ``width`` scales every
channel count (64 x width at the stem) for small test models; ``in_channels`` other than 3 changes only
``conv1``'s input dimension.
"""

from torch import Tensor, nn

DEPTHS = {"resnet18": (2, 2, 2, 2), "resnet34": (3, 4, 6, 3)}


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample: nn.Module | None = None):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x: Tensor) -> Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        return self.relu(self.bn2(self.conv2(out)) + identity)


class ResNet(nn.Module):
    """Inputs (N, C, H, W) as the data set gives them (interpctf's images are in [0, 1]); logits out."""

    def __init__(self, depths: tuple[int, int, int, int], num_classes: int = 1000, in_channels: int = 3,
                 width: float = 1.0):
        super().__init__()
        widths = [max(1, int(round(c * width))) for c in (64, 128, 256, 512)]
        self.inplanes = widths[0]
        self.conv1 = nn.Conv2d(in_channels, widths[0], 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        self.layer1 = self._layer(widths[0], depths[0], 1)
        self.layer2 = self._layer(widths[1], depths[1], 2)
        self.layer3 = self._layer(widths[2], depths[2], 2)
        self.layer4 = self._layer(widths[3], depths[3], 2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(widths[3], num_classes)
        # torchvision's initialisation: He-normal convolutions, unit batch-norm scales
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)

    def _layer(self, planes: int, blocks: int, stride: int) -> nn.Sequential:
        downsample = None
        if stride != 1 or self.inplanes != planes:
            downsample = nn.Sequential(nn.Conv2d(self.inplanes, planes, 1, stride=stride, bias=False),
                                       nn.BatchNorm2d(planes))
        layers = [BasicBlock(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes
        layers += [BasicBlock(planes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def features(self, x: Tensor) -> Tensor:
        """The pooled output of ``layer4``: what ``fc`` reads (fine-pruning prunes these channels)."""
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.avgpool(x).flatten(1)

    def forward(self, x: Tensor) -> Tensor:
        return self.fc(self.features(x.float()))


def resnet(name: str, num_classes: int, in_channels: int = 3, width: float = 1.0) -> ResNet:
    return ResNet(DEPTHS[name], num_classes, in_channels, width)


__all__ = ["BasicBlock", "ResNet", "resnet", "DEPTHS"]

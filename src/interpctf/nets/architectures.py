"""Image-classifier architectures by name: the recipe's ``architecture:``.

Built in: ``small_cnn`` (the trojan kind's 3-conv net), ``resnet18`` and ``resnet34`` (torchvision's layout,
written out in :mod:`interpctf.nets.resnet`). Any other name is handed to ``torchvision.models.get_model`` when
torchvision imports; without it the name is refused with a one-line error naming the ``vision`` extra. Checking a
name needs no torch (recipes are parsed without it); building one does.
"""

import importlib.util
from typing import Any, Callable

from interpctf.errors import BadRecipe

Builder = Callable[[int, int, int, float], Any]  # (in_channels, size, num_classes, width) -> nn.Module


def _small_cnn(in_channels: int, size: int, num_classes: int, width: float) -> Any:
    from interpctf.nets.small_cnn import SmallCNN, SmallCNNConfig

    widths = tuple(max(1, int(round(w * width))) for w in SmallCNNConfig().widths)
    return SmallCNN(in_channels, size, num_classes, widths)  # type: ignore[arg-type]


def _resnet(name: str) -> Builder:
    def build(in_channels: int, size: int, num_classes: int, width: float) -> Any:
        from interpctf.nets.resnet import resnet

        return resnet(name, num_classes, in_channels, width)
    return build


BUILT_IN: dict[str, Builder] = {"small_cnn": _small_cnn, "resnet18": _resnet("resnet18"),
                                "resnet34": _resnet("resnet34")}
VISION_HINT = "install the vision extra (pip install 'interpctf[vision]') for other torchvision classifiers"


def check_architecture(name: str, field: str = "architecture") -> str:
    """``name`` if it can be built here; else a one-line error naming the field."""
    if name in BUILT_IN:
        return name
    if importlib.util.find_spec("torchvision") is None:
        raise BadRecipe(f"{field}: {name!r} is not built in ({', '.join(BUILT_IN)}); {VISION_HINT}")
    return name


def build(name: str, in_channels: int, size: int, num_classes: int, width: float = 1.0) -> Any:
    if name in BUILT_IN:
        return BUILT_IN[name](in_channels, size, num_classes, width)
    try:
        from torchvision import models  # type: ignore[import-not-found, import-untyped, unused-ignore]
    except Exception:  # PyPI's torchvision beside the CPU torch fails at import with various errors
        raise BadRecipe(f"architecture: {name!r} needs torchvision, which does not import here; {VISION_HINT}") \
            from None
    if name not in models.list_models():
        raise BadRecipe(f"architecture: {name!r} is not a torchvision model; built in: {', '.join(BUILT_IN)}")
    if in_channels != 3 or width != 1.0:
        raise BadRecipe(f"architecture: torchvision's {name} takes 3-channel inputs at width 1")
    return models.get_model(name, num_classes=num_classes)


__all__ = ["BUILT_IN", "check_architecture", "build", "VISION_HINT"]

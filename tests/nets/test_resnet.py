"""The ResNets keep torchvision's state-dict layout, so torchvision weights load; width scales them down."""

import importlib.util

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from interpctf.errors import BadRecipe
from interpctf.nets import image_classifier
from interpctf.nets.image_classifier import NetSpec
from interpctf.nets.resnet import resnet

# torchvision's documented parameter counts (torchvision.models docs, "Params" column)
TORCHVISION_PARAMS = {"resnet18": 11_689_512, "resnet34": 21_797_672}


@pytest.mark.parametrize("name", ["resnet18", "resnet34"])
def test_layout_and_size_are_torchvision_s(name):
    model = resnet(name, 1000)
    state = model.state_dict()
    assert sum(p.numel() for p in model.parameters()) == TORCHVISION_PARAMS[name]
    assert tuple(state["conv1.weight"].shape) == (64, 3, 7, 7)
    assert tuple(state["layer2.0.downsample.0.weight"].shape) == (128, 64, 1, 1)
    assert tuple(state["layer4.1.bn2.running_var"].shape) == (512,)
    assert tuple(state["fc.weight"].shape) == (1000, 512)
    assert "layer1.0.downsample.0.weight" not in state  # stride 1, same width: identity shortcut


def test_torchvision_weights_load_strictly():
    if importlib.util.find_spec("torchvision") is None:
        pytest.skip("torchvision is not installed (PyPI's build does not import beside the CPU torch); "
                    "the layout is checked against its documented shapes above")
    try:
        from torchvision.models import resnet18
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"torchvision does not import here ({type(exc).__name__})")
    resnet("resnet18", 1000).load_state_dict(resnet18().state_dict(), strict=True)


def test_small_width_trains_on_small_images():
    model = image_classifier.new_model(NetSpec("resnet18", 0.125), (3, 32, 32), 3)
    assert model(torch.rand(2, 3, 32, 32)).shape == (2, 3)
    assert sum(p.numel() for p in model.parameters()) < 200_000


def test_pretrained_fine_tunes_from_a_state_dict_with_another_head(tmp_path):
    source = image_classifier.new_model(NetSpec("resnet18", 0.125), (3, 32, 32), 10)
    path = tmp_path / "w.safetensors"
    save_file({k: v.contiguous() for k, v in source.state_dict().items()}, str(path))
    model = image_classifier.new_model(NetSpec("resnet18", 0.125, str(path)), (3, 32, 32), 3)
    assert torch.equal(model.state_dict()["layer3.1.conv2.weight"], source.state_dict()["layer3.1.conv2.weight"])
    assert model.fc.weight.shape == (3, 64)
    torch.save({"nonsense.weight": torch.zeros(1)}, tmp_path / "bad.pt")
    with pytest.raises(BadRecipe, match="pretrained: bad.pt has 'nonsense.weight'"):
        image_classifier.new_model(NetSpec("resnet18", 0.125, str(tmp_path / "bad.pt")), (3, 32, 32), 3)


def test_save_load_round_trip(tmp_path):
    model = image_classifier.new_model(NetSpec("resnet18", 0.125), (3, 16, 16), 4)
    image_classifier.save(model, tmp_path / "m")
    again = image_classifier.load(tmp_path / "m")
    x = np.random.default_rng(0).random((5, 3, 16, 16)).astype(np.float32)
    assert (image_classifier.predict(model, x) == image_classifier.predict(again, x)).all()


def test_unknown_architecture_is_one_line():
    from interpctf.nets.architectures import check_architecture

    if importlib.util.find_spec("torchvision") is not None:
        pytest.skip("torchvision is installed: other names go to torchvision.models.get_model")
    with pytest.raises(BadRecipe, match="architecture: 'vgg11' is not built in .*interpctf\\[vision\\]"):
        check_architecture("vgg11")

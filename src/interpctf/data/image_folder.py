"""An ``ImageFolder`` (torchvision's layout): ``root/<class name>/*.png|jpg|jpeg``, classes sorted by name.

Images are read with PIL, converted to RGB and resized to the recipe's square size (bilinear), as float32
(N, 3, size, size) in [0, 1]. At least two classes with at least one image each, or a one-line error.
"""

from pathlib import Path

import numpy as np

from interpctf.data.mnist import BadData

SUFFIXES = (".png", ".jpg", ".jpeg")
MAX_IMAGES = 200_000


def load_image_folder(root: str | Path, size: int) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    from PIL import Image, UnidentifiedImageError

    root = Path(root)
    if not root.is_dir():
        raise BadData(f"data: {root} is neither a built-in data set nor an image folder")
    classes = tuple(sorted(d.name for d in root.iterdir() if d.is_dir() and not d.name.startswith(".")))
    files = {c: sorted(f for f in (root / c).iterdir() if f.suffix.lower() in SUFFIXES) for c in classes}
    classes = tuple(c for c in classes if files[c])
    if len(classes) < 2:
        raise BadData(f"data: the image folder {root} has {len(classes)} class folder(s) with images; a "
                      f"classifier needs at least 2 (root/<class>/*.png)")
    total = sum(len(files[c]) for c in classes)
    if total > MAX_IMAGES:
        raise BadData(f"data: the image folder {root} holds {total} images; at most {MAX_IMAGES}")
    images, labels = [], []
    for k, name in enumerate(classes):
        for path in files[name]:
            try:
                with Image.open(path) as img:
                    rgb = img.convert("RGB").resize((size, size), Image.Resampling.BILINEAR)
            except (UnidentifiedImageError, OSError) as exc:
                raise BadData(f"data: {path} is not a readable image ({type(exc).__name__})") from None
            images.append(np.asarray(rgb, dtype=np.float32).transpose(2, 0, 1) / 255.0)
            labels.append(k)
    return np.stack(images).astype(np.float32), np.asarray(labels, dtype=np.int64), classes


__all__ = ["load_image_folder", "SUFFIXES"]

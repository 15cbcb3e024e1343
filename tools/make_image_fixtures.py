#!/usr/bin/env python3
"""Writes Tests/DNNCoreTests/Fixtures/images/: small PNG and JPEG files of every kind dnnc decodes, each
with what PIL, torch and torchvision make of it, and augmentations applied by torchvision with fixed
parameters. ImageDataTests reads them; they need neither PIL nor torch.

    python -m pip install pillow torch torchvision numpy
    python tools/make_image_fixtures.py

It also loads libturbojpeg.so.0 (Debian's libturbojpeg0, which dnnc builds against) to write a YCCK
JPEG, which Pillow does not write, and adds a gAMA chunk to two PNGs, which Pillow does not write either.

images.json lists, per file: the model shape [C, H, W] it is read as, and the expected values (PIL's
convert("L") or convert("RGB"), v / 255, then torch.nn.functional.interpolate(mode="bilinear",
align_corners=False) when the size differs), rounded to float32. augment.json lists, per case: the
augmentation as a spec writes it, the numbers dnnc's draw would give (Augmentation.draw), the input
[C, H, W] and torchvision.transforms.functional's output for those numbers.
"""

import ctypes
import io
import json
import os
import struct
import zlib

import numpy as np
import torch
import torch.nn.functional as F
import torchvision.transforms.functional as TF
from PIL import Image
from torchvision.transforms import InterpolationMode

ROOT = os.path.join(os.path.dirname(__file__), "..", "Tests", "DNNCoreTests", "Fixtures", "images")


def expected(image, shape):
    c, h, w = shape
    array = np.asarray(image.convert("L" if c == 1 else "RGB"), dtype=np.float32) / 255
    x = torch.from_numpy(array.reshape(array.shape[0], array.shape[1], -1)).permute(2, 0, 1)[None]
    if x.shape[2:] != (h, w):
        x = F.interpolate(x, size=(h, w), mode="bilinear", align_corners=False)
    return [float(v) for v in x.flatten().tolist()]


def with_gamma(png, gamma):
    """A PNG file's bytes with a gAMA chunk (gamma × 100000) after its header: PIL ignores it, libpng's
    simplified API would re-encode the values as sRGB."""
    data = struct.pack(">I", round(gamma * 100000))
    chunk = struct.pack(">I", len(data)) + b"gAMA" + data + struct.pack(">I", zlib.crc32(b"gAMA" + data))
    return png[:33] + chunk + png[33:]


def ycck_jpeg(cmyk):
    """A YCCK JPEG of CMYK pixels, as Photoshop writes them: Pillow writes CMYK JPEGs as CMYK, so this
    calls libjpeg-turbo's TurboJPEG (the library dnnc decodes with), which stores CMYK as YCCK."""
    tj = ctypes.CDLL("libturbojpeg.so.0")
    tj.tjInitCompress.restype = ctypes.c_void_p
    handle = ctypes.c_void_p(tj.tjInitCompress())
    pixels = np.ascontiguousarray(cmyk, dtype=np.uint8)
    out, size = ctypes.POINTER(ctypes.c_ubyte)(), ctypes.c_ulong(0)
    tjpf_cmyk, tjsamp_444 = 11, 0
    if tj.tjCompress2(handle, pixels.ctypes.data_as(ctypes.c_void_p), pixels.shape[1], 0, pixels.shape[0], tjpf_cmyk,
                      ctypes.byref(out), ctypes.byref(size), tjsamp_444, 90, 0) != 0:
        raise SystemExit("tjCompress2 failed")
    data = ctypes.string_at(out, size.value)
    tj.tjFree(out)
    tj.tjDestroy(handle)
    return data


def main():
    os.makedirs(ROOT, exist_ok=True)
    rng = np.random.default_rng(7)
    rgb = rng.integers(0, 256, (7, 9, 3), dtype=np.uint8)
    gray = rng.integers(0, 256, (7, 9), dtype=np.uint8)
    rgba = rng.integers(0, 256, (7, 9, 4), dtype=np.uint8)
    files = {
        "rgb.png": Image.fromarray(rgb, "RGB"),
        "gray.png": Image.fromarray(gray, "L"),
        "rgba.png": Image.fromarray(rgba, "RGBA"),
        "gray-alpha.png": Image.fromarray(rgba[:, :, :2].copy(), "LA"),
        "palette.png": Image.fromarray(rgb, "RGB").quantize(colors=16, dither=Image.Dither.NONE),
        "rgb.jpg": Image.fromarray(rgb, "RGB"),
        "gray.jpg": Image.fromarray(gray, "L"),
        "cmyk.jpg": Image.fromarray(rgb, "RGB").convert("CMYK"),
    }
    cases = []

    def decoding_cases(name):
        decoded = Image.open(os.path.join(ROOT, name))
        decoded.load()
        for shape in ([3, 7, 9], [1, 7, 9], [3, 4, 5], [1, 12, 10]):
            cases.append({"file": name, "shape": shape, "values": expected(decoded, shape)})
        return decoded

    for name, image in files.items():
        path = os.path.join(ROOT, name)
        if name.endswith(".jpg"):
            image.save(path, quality=90)
        else:
            image.save(path)
        decoding_cases(name)
    # PNGs whose gAMA chunk says gamma 1.0 and 0.5 (sRGB's is about 0.45455).
    for name, image, gamma in [("rgb-gamma.png", Image.fromarray(rgb, "RGB"), 1.0), ("gray-gamma.png", Image.fromarray(gray, "L"), 0.5)]:
        png = io.BytesIO()
        image.save(png, "PNG")
        with open(os.path.join(ROOT, name), "wb") as f:
            f.write(with_gamma(png.getvalue(), gamma))
        assert Image.open(os.path.join(ROOT, name)).info.get("gamma") == gamma, f"{name} has no gAMA chunk"
        decoding_cases(name)
    # A YCCK JPEG (Adobe transform 2), which Pillow reads as CMYK.
    with open(os.path.join(ROOT, "ycck.jpg"), "wb") as f:
        f.write(ycck_jpeg(np.asarray(Image.fromarray(rgb, "RGB").convert("CMYK"))))
    ycck = decoding_cases("ycck.jpg")
    assert ycck.mode == "CMYK" and ycck.info.get("adobe_transform") == 2, "ycck.jpg is not a YCCK JPEG"
    with open(os.path.join(ROOT, "images.json"), "w") as f:
        json.dump(cases, f)

    # Augmentations with fixed draws, on a [3, 6, 8] image in [0, 1].
    x = torch.from_numpy(rng.random((3, 6, 8), dtype=np.float32))
    augment = []

    def case(spec, drawn, out):
        augment.append({"augmentation": spec, "drawn": drawn, "input": x.flatten().tolist(), "shape": list(x.shape),
                        "output": [float(v) for v in out.flatten().tolist()]})

    for top, left in [(0, 0), (2, 5), (4, 4), (1, 3)]:
        case({"random_crop": {"size": [6, 8], "padding": 2}}, [top, left], TF.crop(TF.pad(x, 2), top, left, 6, 8))
    case({"flip": "horizontal"}, [1], TF.hflip(x))
    case({"flip": "horizontal"}, [0], x)
    case({"flip": "vertical"}, [1], TF.vflip(x))
    for angle in [15.0, -30.0, 90.0, 7.3, -172.5]:
        case({"rotate": 180}, [angle], TF.rotate(x, angle, interpolation=InterpolationMode.NEAREST))
    for factor in [0.8, 1.0, 1.7]:
        case({"brightness": 0.9}, [factor], TF.adjust_brightness(x, factor))
    with open(os.path.join(ROOT, "augment.json"), "w") as f:
        json.dump(augment, f)
    print(f"wrote {len(files) + 3} images, {len(cases)} decoding cases and {len(augment)} augmentation cases to {ROOT}")


if __name__ == "__main__":
    main()

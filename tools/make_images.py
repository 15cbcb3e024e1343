#!/usr/bin/env python3
"""Renders a data set of simple shapes into PNG folders, one subfolder per class, as
`data.train: {images: folder}` reads them.

    python3 tools/make_images.py specs/images/shapes                 # the committed example
    python3 tools/make_images.py /tmp/shapes --train 3000  # a larger set (bench/)

Each image is size × size RGB: a circle, a square or a triangle (the classes) of a random size,
position, rotation and light color on a dark background of a random color. The same arguments write the
same bytes (numpy's seeded generator, PIL's deterministic PNG encoder). Needs numpy and Pillow.
"""

import argparse
import math
import os

import numpy as np
from PIL import Image, ImageDraw

CLASSES = ["circle", "square", "triangle"]


def render(kind, size, rng):
    # A dark background and a light shape, each of a random color.
    background = tuple(int(v) for v in rng.integers(0, 90, 3))
    color = tuple(int(v) for v in rng.integers(150, 256, 3))
    image = Image.new("RGB", (size, size), background)
    draw = ImageDraw.Draw(image)
    radius = rng.uniform(0.2, 0.38) * size
    cx = rng.uniform(radius, size - radius)
    cy = rng.uniform(radius, size - radius)
    angle = rng.uniform(0, 2 * math.pi)
    if kind == "circle":
        draw.ellipse([cx - radius, cy - radius, cx + radius, cy + radius], fill=color)
    else:
        corners = 4 if kind == "square" else 3
        points = [(cx + radius * math.cos(angle + 2 * math.pi * k / corners),
                   cy + radius * math.sin(angle + 2 * math.pi * k / corners)) for k in range(corners)]
        draw.polygon(points, fill=color)
    return image


def write(folder, count, size, rng):
    for kind in CLASSES:
        os.makedirs(os.path.join(folder, kind), exist_ok=True)
    for i in range(count):
        kind = CLASSES[i % len(CLASSES)]
        render(kind, size, rng).save(os.path.join(folder, kind, f"{i // len(CLASSES):05d}.png"), optimize=False)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", help="the folder to write train/ and validation/ into")
    parser.add_argument("--train", type=int, default=600, help="training images (spread over the classes)")
    parser.add_argument("--validation", type=int, default=150, help="validation images")
    parser.add_argument("--size", type=int, default=32, help="width and height in pixels")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    write(os.path.join(args.out, "train"), args.train, args.size, rng)
    write(os.path.join(args.out, "validation"), args.validation, args.size, rng)
    print(f"wrote {args.train} training and {args.validation} validation images of {args.size}x{args.size} to {args.out}")


if __name__ == "__main__":
    main()

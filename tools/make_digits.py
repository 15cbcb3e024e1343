"""Converts scikit-learn's copy of the UCI handwritten digits (8x8 images, 1,797 of them) to the
.npy files under specs/digits/. Run once; dnnc and its tests read the committed files.

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install scikit-learn numpy
    /tmp/venv/bin/python tools/make_digits.py

The data: "Optical Recognition of Handwritten Digits" by E. Alpaydin and C. Kaynak, UCI Machine
Learning Repository (https://doi.org/10.24432/C50P49), licensed CC BY 4.0; scikit-learn ships its
test part as sklearn/datasets/data/digits.csv.gz.
"""
import os

import numpy as np
from sklearn.datasets import load_digits

here = os.path.join(os.path.dirname(__file__), "..", "specs", "digits")
digits = load_digits()
images = digits.images.astype(np.float32)  # (1797, 8, 8), values 0..16
labels = digits.target.astype(np.int64)  # (1797,)
np.save(os.path.join(here, "images.npy"), images.reshape(len(images), 64))
np.save(os.path.join(here, "labels.npy"), labels)
print(images.shape, labels.shape, np.bincount(labels))

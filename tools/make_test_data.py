"""Makes the small data files the tests read from Tests/DNNCoreTests/Fixtures/data/ (needs numpy):
well-formed and broken CSV and .npy files. Run once; the files are committed.

    python3 tools/make_test_data.py
"""
import os

import numpy as np

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "DNNCoreTests", "Fixtures", "data")
os.makedirs(OUT, exist_ok=True)


def write(name, text):
    with open(os.path.join(OUT, name), "w") as f:
        f.write(text)


write("animals.csv", "x1,x2,label\n0.5,1.0,cat\n1.5,-2.0,dog\n0.25,3.5,cat\n2.0,0.0,bird\n")
write("ragged.csv", "1,2,3\n4,5\n")
write("badcell.csv", "a,b\n1,x\n2,3\n")
write("semicolon.csv", "a;b;c\n1;2;3\n")
write("unclosed.csv", "a,b\n1,\"2\n")
write("longfield.csv", "x" * 5000 + "\n1\n")
write("empty.csv", "")
write("infinity.csv", "a,b\ninf,1\n2,3\n1,1\n")
np.save(os.path.join(OUT, "f8.npy"), np.arange(12, dtype=np.float64).reshape(4, 3) / 4)
np.save(os.path.join(OUT, "i4.npy"), np.array([0, 1, 1, 0], dtype=np.int32))
np.save(os.path.join(OUT, "f2.npy"), np.array([1, 2], dtype=np.float16))
with open(os.path.join(OUT, "f8.npy"), "rb") as f:
    whole = f.read()
with open(os.path.join(OUT, "short.npy"), "wb") as f:
    f.write(whole[:-16])  # declares 12 values, holds 10
np.save(os.path.join(OUT, "fortran.npy"), np.asfortranarray(np.ones((2, 3), dtype=np.float32)))

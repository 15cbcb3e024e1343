"""Makes the CSV files of BENCHMARKS.md's "Reading CSV" section in the current folder:
big.csv (1,200,000 rows of 4 numbers with a header, 57.6 MB) and wide.csv (600 rows of two
4,000-character text fields, 4.8 MB), with the specs that read them (big.yaml, wide.yaml).

    cd /tmp && python3 /path/to/dnnc/bench/make_csv.py
"""
import random

random.seed(1)
with open("big.csv", "w") as f:
    f.write("a,b,c,t\n")
    for _ in range(1_200_000):
        f.write(f"{random.random():.9f},{random.random():.9f},{random.random():.9f},{random.random():.9f}\n")
with open("wide.csv", "w") as f:
    for _ in range(600):
        f.write("x" * 3999 + "," + "y" * 3999 + "\n")
SPEC = """dnnc: 1
data:
  train:
    inputs: {file: %s}
    targets: {file: %s}
model:
  input: [%d]
  layers:
    - dense: {units: 1}
train:
  loss: mse
  optimizer: {sgd: {lr: 0.1}}
  epochs: 1
"""
with open("big.yaml", "w") as f:
    f.write(SPEC % ("big.csv, columns: [a, b, c]", "big.csv, columns: [t]", 3))
with open("wide.yaml", "w") as f:
    f.write(SPEC % ("wide.csv", "wide.csv", 2))

#!/usr/bin/env python3
"""Issue 16's comparison: each spec of specs/tabular against scikit-learn on the same training and test
files. For each data set it runs `dnnc run` (the whole process, release build) and fits scikit-learn's
MLP with the spec's architecture and optimizer (Adam, the same learning rate, batch size and epochs, no
early stopping) and a linear model (LogisticRegression or Ridge), each in a pipeline that standardizes
the numeric columns (and, for the housing table, imputes and one-hot encodes as the spec says). It prints
a Markdown table of held-out accuracy or R² and wall times (medians of --rounds runs).

    python3 -m venv /tmp/sk && /tmp/sk/bin/pip install numpy scikit-learn
    swift build -c release --product dnnc
    /tmp/sk/bin/python bench/tabular.py [--rounds 5]
"""

import argparse
import csv
import os
import re
import statistics
import subprocess
import time
import warnings

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import accuracy_score, r2_score
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
DNNC = os.path.join(ROOT, ".build", "release", "dnnc")
FOLDER = os.path.join(ROOT, "specs", "tabular")

# name: target column, classifier?, hidden units, learning rate, batch size, epochs (the specs' own).
SETS = {
    "iris": ("species", True, (16,), 0.01, 16, 100),
    "wine": ("cultivar", True, (32,), 0.01, 16, 60),
    "breast-cancer": ("diagnosis", True, (16,), 0.01, 32, 100),
    "diabetes": ("progression", False, (8,), 0.001, 32, 100),
    "housing": ("price_k", False, (64, 32), 0.003, 32, 150),  # scikit-learn one-hot encodes the city, dnnc embeds it
}


def read(path, target):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    columns = [c for c in rows[0] if c != target]
    return columns, rows, [r[target] for r in rows]


def features(name, columns):
    """The preprocessing the spec asks for, as scikit-learn's ColumnTransformer."""
    if name != "housing":
        return make_pipeline(StandardScaler())
    categorical = ["city", "heating"]
    binary = ["garden"]
    numeric = [c for c in columns if c not in categorical + binary]
    return ColumnTransformer([
        ("heating", make_pipeline(SimpleImputer(strategy="most_frequent", missing_values="", add_indicator=True),
                                  ColumnTransformer([("onehot", OneHotEncoder(handle_unknown="ignore"), [0])], remainder="passthrough")),
         ["heating"]),
        ("city", OneHotEncoder(handle_unknown="ignore"), ["city"]),
        ("garden", OrdinalEncoder(), binary),
        ("numeric", make_pipeline(SimpleImputer(strategy="median", add_indicator=True), StandardScaler()), numeric),
    ])


def matrix(name, columns, rows):
    if name != "housing":
        return np.array([[float(r[c]) for c in columns] for r in rows])
    import pandas  # noqa: F401  (ColumnTransformer by column name needs a DataFrame)
    frame = {c: [r[c] for r in rows] for c in columns}
    for c in columns:
        if c not in ("city", "heating", "garden"):
            frame[c] = [float(v) if v != "" else np.nan for v in frame[c]]
    return pandas.DataFrame(frame)


def sklearn_runs(name, rounds):
    target, classifier, hidden, lr, batch, epochs = SETS[name]
    columns, train, y_train = read(os.path.join(FOLDER, f"{name}-train.csv"), target)
    _, test, y_test = read(os.path.join(FOLDER, f"{name}-test.csv"), target)
    x_train, x_test = matrix(name, columns, train), matrix(name, columns, test)
    if not classifier:
        y_train, y_test = np.array(y_train, dtype=float), np.array(y_test, dtype=float)
    out = {}
    models = {
        "MLP": (MLPClassifier if classifier else MLPRegressor)(hidden_layer_sizes=hidden, solver="adam", learning_rate_init=lr,
                                                                batch_size=batch, max_iter=epochs, random_state=0,
                                                                n_iter_no_change=epochs + 1, tol=0),
        "linear": LogisticRegression(max_iter=2000) if classifier else Ridge(alpha=1.0),
    }
    for label, model in models.items():
        times, score = [], None
        for _ in range(rounds):
            pipeline = make_pipeline(features(name, columns), model)
            if not classifier and label == "MLP":
                from sklearn.compose import TransformedTargetRegressor
                pipeline = TransformedTargetRegressor(regressor=pipeline, transformer=StandardScaler())
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                pipeline.fit(x_train, y_train)
            times.append(time.perf_counter() - start)
            predicted = pipeline.predict(x_test)
            score = accuracy_score(y_test, predicted) if classifier else r2_score(y_test, predicted)
        out[label] = (score, statistics.median(times))
    return out


def dnnc_runs(name, rounds):
    times, text = [], ""
    for _ in range(rounds):
        start = time.perf_counter()
        text = subprocess.run([DNNC, "run", os.path.join(FOLDER, f"{name}.yaml"), "--no-progress"], check=True,
                              capture_output=True, text=True).stdout
        times.append(time.perf_counter() - start)
    line = next(l for l in text.splitlines() if l.startswith("test ("))
    classifier = SETS[name][1]
    score = float(re.search(r"accuracy (\S+)" if classifier else r"r2 (\S+)", line).group(1))
    return score, statistics.median(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print("| data set (train / test rows) | metric | dnnc `run` | scikit-learn MLP `fit` | LogisticRegression / Ridge `fit` |")
    print("|---|---|---|---|---|")
    for name in SETS:
        target, classifier = SETS[name][:2]
        n_train = len(read(os.path.join(FOLDER, f"{name}-train.csv"), target)[1])
        n_test = len(read(os.path.join(FOLDER, f"{name}-test.csv"), target)[1])
        d_score, d_time = dnnc_runs(name, args.rounds)
        sk = sklearn_runs(name, args.rounds)
        metric = "accuracy" if classifier else "R²"
        cell = lambda s, t: f"{s:.3f} in {t:.3f} s"  # noqa: E731
        print(f"| {name} ({n_train} / {n_test}) | test {metric} | {cell(d_score, d_time)} | {cell(*sk['MLP'])} | {cell(*sk['linear'])} |")


if __name__ == "__main__":
    main()

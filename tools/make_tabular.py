#!/usr/bin/env python3
"""Writes specs/tabular/'s CSV files: scikit-learn's bundled iris, wine, breast-cancer and diabetes
tables with header rows (class names where the data has them; diabetes unscaled, as measured), each split 80/20 into a training and a
test file (scikit-learn's train_test_split, random_state 0, stratified for the classifiers); and a
generated housing table with categorical columns, a yes/no column and empty cells, whose price depends on
all of them.

Needs numpy and scikit-learn:  python3 tools/make_tabular.py
"""

import csv
import os

import numpy as np
from sklearn import datasets
from sklearn.model_selection import train_test_split

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "specs", "tabular")


def write(name, header, rows):
    with open(os.path.join(OUT, name), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def number(x):
    """A value as the CSV writes it: shortest round-trip text."""
    return repr(float(x)) if not float(x).is_integer() else str(int(x))


def bundled(name, loader, target_name, class_names=None, classifier=True):
    data = loader()
    header = [f.replace(" (cm)", "").replace(" ", "_").replace("/", "_") for f in data.feature_names] + [target_name]
    x, y = data.data, data.target
    xa, xb, ya, yb = train_test_split(x, y, test_size=0.2, random_state=0, stratify=y if classifier else None)
    for part, xs, ys in (("train", xa, ya), ("test", xb, yb)):
        rows = [[number(v) for v in row] + [class_names[int(t)] if class_names else number(t)] for row, t in zip(xs, ys)]
        write(f"{name}-{part}.csv", header, rows)


def housing():
    """Prices of flats: city and heating type (categories), area, rooms, year built, a garden (yes/no),
    distance to the centre; about 6% of area, year_built and heating empty. The price is a sum of a
    city premium, a heating premium, per-square-metre value falling with distance, a garden bonus and
    noise, so every column matters."""
    rng = np.random.default_rng(16)
    cities = {"Paris": 9.0, "Lyon": 5.0, "Marseille": 3.5, "Lille": 3.2, "Bordeaux": 4.5, "Nantes": 3.8}
    heating = {"gas": 0.0, "electric": -8.0, "heat_pump": 12.0, "wood": -4.0}
    rows = []
    for _ in range(1500):
        city = rng.choice(list(cities), p=[0.3, 0.2, 0.15, 0.1, 0.15, 0.1])
        heat = rng.choice(list(heating), p=[0.4, 0.3, 0.2, 0.1])
        area = float(np.clip(rng.normal(65, 25), 15, 200))
        rooms = int(np.clip(round(area / 22 + rng.normal(0, 0.7)), 1, 8))
        year = int(rng.integers(1900, 2024))
        garden = "yes" if rng.random() < 0.3 else "no"
        distance = float(np.round(rng.gamma(2.0, 2.5), 1))
        price = (cities[city] * area * (1.0 - 0.03 * min(distance, 15)) + heating[heat] + 2.0 * rooms
                 + (25.0 if garden == "yes" else 0.0) + 0.15 * (year - 1960) + rng.normal(0, 12))
        row = {"city": city, "heating": heat, "area": round(area, 1), "rooms": rooms, "year_built": year,
               "garden": garden, "distance_km": distance, "price_k": round(price, 1)}
        for column in ("area", "year_built", "heating"):
            if rng.random() < 0.06:
                row[column] = ""
        rows.append(row)
    header = ["city", "heating", "area", "rooms", "year_built", "garden", "distance_km", "price_k"]
    as_rows = [[number(r[h]) if isinstance(r[h], float) else r[h] for h in header] for r in rows]
    write("housing-train.csv", header, as_rows[:1200])
    write("housing-test.csv", header, as_rows[1200:1450])
    # New flats to price: the columns in another order, without the price, an id column the model does
    # not read, a city the training rows never held, and empty cells.
    order = ["distance_km", "garden", "rooms", "city", "area", "heating", "year_built"]
    new = [[str(k + 1)] + [rows[1450 + k][h] for h in order] for k in range(50)]
    new[3][order.index("city") + 1] = "Toulouse"
    new[7][order.index("area") + 1] = ""
    write("housing-new.csv", ["id"] + order, [[number(v) if isinstance(v, float) else v for v in row] for row in new])


def main():
    os.makedirs(OUT, exist_ok=True)
    bundled("iris", datasets.load_iris, "species", ["setosa", "versicolor", "virginica"])
    bundled("wine", datasets.load_wine, "cultivar", ["class_0", "class_1", "class_2"])
    bundled("breast-cancer", datasets.load_breast_cancer, "diagnosis", ["malignant", "benign"])
    bundled("diabetes", lambda: datasets.load_diabetes(scaled=False), "progression", classifier=False)
    housing()


if __name__ == "__main__":
    main()

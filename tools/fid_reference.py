#!/usr/bin/python3
"""Independent FID reference (Heusel et al. 2017, as pytorch-fid computes it) for the Java test.

Writes src/engine/src/test/resources/fixtures/fid/{a,b,c}.npy (float32 feature matrices, N x D) and
expected.json with the Frechet distances between their Gaussian fits, computed with numpy
(mean, covariance with N-1) and scipy.linalg.sqrtm in float64:
    FID = |mu1 - mu2|^2 + tr(C1 + C2 - 2 sqrtm(C1 C2))
Run: /usr/bin/python3 tools/fid_reference.py
"""
import json
import os

import numpy as np
from scipy import linalg

OUT = os.path.join(os.path.dirname(__file__), "..", "src", "engine", "src", "test", "resources", "fixtures", "fid")


def stats(x):
    x = x.astype(np.float64)
    return x.mean(axis=0), np.cov(x, rowvar=False)


def fid(s1, s2):
    mu1, c1 = s1
    mu2, c2 = s2
    covmean, _ = linalg.sqrtm(c1.dot(c2), disp=False)
    if np.iscomplexobj(covmean):
        covmean = covmean.real
    diff = mu1 - mu2
    return float(diff.dot(diff) + np.trace(c1) + np.trace(c2) - 2 * np.trace(covmean))


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(2017)
    d = 32
    mix = rng.standard_normal((d, d)) * 0.3 + np.eye(d)
    a = (rng.standard_normal((600, d)) @ mix).astype(np.float32)
    b = (rng.standard_normal((500, d)) @ mix * 1.1 + 0.2).astype(np.float32)
    c = (rng.standard_normal((400, d)) @ (mix + rng.standard_normal((d, d)) * 0.2) - 0.5).astype(np.float32)
    for name, x in (("a", a), ("b", b), ("c", c)):
        np.save(os.path.join(OUT, name + ".npy"), x)
    sa, sb, sc = stats(a), stats(b), stats(c)
    expected = {"generator": "tools/fid_reference.py", "a_b": fid(sa, sb), "a_c": fid(sa, sc),
                "b_c": fid(sb, sc), "a_a": fid(sa, sa)}
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")
    print(expected)


if __name__ == "__main__":
    main()

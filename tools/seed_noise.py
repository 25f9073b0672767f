#!/usr/bin/python3
"""Independent Python reproduction of the engine's seed noise (io.diffusionbatch.engine.noise.SeedNoise).

Writes src/engine/src/test/resources/fixtures/noise/seed_noise.json: for a few (seed, stream, length) the
float32 values as their IEEE-754 bit patterns, so the Java test can demand exact equality.
Run: /usr/bin/python3 tools/seed_noise.py
"""
import json
import math
import os
import struct

M = (1 << 64) - 1
G = 0x9E3779B97F4A7C15


def mix(z):
    z &= M
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
    return z ^ (z >> 31)


def gaussian(seed, stream, length):
    key = mix(seed + G * (stream + 1))

    def u(k):
        return ((mix(key + G * (k + 1)) >> 11) + 0.5) * 2.0 ** -53

    out = []
    for j in range((length + 1) // 2):
        r = math.sqrt(-2.0 * math.log(u(2 * j)))
        a = 2.0 * math.pi * u(2 * j + 1)
        out.append(r * math.cos(a))
        out.append(r * math.sin(a))
    return out[:length]


def f32_bits(x):
    return struct.unpack("<I", struct.pack("<f", x))[0]


def main():
    cases = []
    # seeds as unsigned 64-bit; -1 in Java is 2**64-1 here
    for seed, stream, length in [(0, 0, 256), (42, 0, 256), (42, 1, 64), (42, 7, 65),
                                 (2 ** 64 - 1, 0, 64), (1234567890123, 3, 33)]:
        vals = gaussian(seed, stream, length)
        java_seed = seed - 2 ** 64 if seed >= 2 ** 63 else seed
        cases.append({"seed": java_seed, "stream": stream, "length": length,
                      "float32_bits": [f32_bits(v) for v in vals]})
    path = os.path.join(os.path.dirname(__file__), "..", "src", "engine", "src", "test", "resources", "fixtures",
                        "noise", "seed_noise.json")
    with open(path, "w") as f:
        json.dump({"generator": "tools/seed_noise.py", "cases": cases}, f)
        f.write("\n")


if __name__ == "__main__":
    main()

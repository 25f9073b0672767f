"""The procedural "shapes" world (issue 4): captioned 32x32 RGB scenes and 8-frame videos.

Deterministic given a numpy Generator. Rendering is anti-aliased by 4x supersampling
(a 128x128 grid of sub-pixel centres) followed by 4x4 box downsampling; images are float32
(3, 32, 32) in [-1, 1], videos (8, 3, 32, 32).

One canonical caption per scene, so every caption parses back exactly:

  single: "a small red circle at the top left on a white background"
  pair:   "a red circle to the left of a blue square on a white background"
  video:  "a red circle moving right on a black background"

`parse_caption(caption(s)) == attributes(s)` for every scene; anything else raises ValueError.
Parsing uses the Java word-level tokenizer's normalisation (lower-case, runs of [a-z0-9]).

Held-out (colour, shape) combinations (`HELD_OUT`) never appear in any object of a scene drawn
with `train=True` (single, pair and video alike); `prompt_set(kind, n, seed, held_out=True)`
draws scenes that contain at least one of them.

Run `/usr/bin/python3 tools/shapes/world.py [out.png]` for a contact sheet
(default target/shapes/contact_sheet.png).
"""
from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

import numpy as np

SIZE = 32
SS = 4  # supersampling factor
FRAMES = 8

SHAPES: Tuple[str, ...] = ("circle", "square", "triangle", "star", "ring", "cross", "diamond")
COLOURS: Dict[str, Tuple[int, int, int]] = {
    "red": (220, 30, 30),
    "green": (30, 170, 50),
    "blue": (40, 70, 230),
    "yellow": (245, 220, 30),
    "purple": (140, 50, 190),
    "orange": (250, 130, 20),
    "white": (250, 250, 250),
    "black": (10, 10, 10),
}
OBJECT_COLOURS: Tuple[str, ...] = tuple(COLOURS)
BACKGROUNDS: Dict[str, Tuple[int, int, int]] = {
    "white": COLOURS["white"],
    "black": COLOURS["black"],
    "gray": (128, 128, 128),
    "blue": COLOURS["blue"],
    "green": COLOURS["green"],
}
SIZES: Tuple[str, ...] = ("small", "large")
# radius (circumradius, pixels) ranges per size
SIZE_RADIUS = {"small": (4.5, 5.0), "large": (8.5, 9.0)}
PAIR_RADIUS = (5.5, 6.0)
VIDEO_RADIUS = (4.5, 5.0)
POSITIONS: Tuple[str, ...] = (
    "top left", "top", "top right",
    "left", "centre", "right",
    "bottom left", "bottom", "bottom right",
)
POSITION_PHRASES = {
    "top left": "at the top left", "top": "at the top", "top right": "at the top right",
    "left": "on the left", "centre": "in the centre", "right": "on the right",
    "bottom left": "at the bottom left", "bottom": "at the bottom", "bottom right": "at the bottom right",
}
# relation: where object 1 (first in the caption) is relative to object 2
RELATIONS: Tuple[str, ...] = ("left of", "right of", "above", "below")
RELATION_PHRASES = {"left of": "to the left of", "right of": "to the right of",
                    "above": "above", "below": "below"}
DIRECTIONS: Tuple[str, ...] = ("left", "right", "up", "down")
DIRECTION_VECTORS = {"left": (-1.0, 0.0), "right": (1.0, 0.0), "up": (0.0, -1.0), "down": (0.0, 1.0)}
KINDS = ("single", "pair", "video")

# (colour, shape) combinations held out of training, for composition tests. The one list.
HELD_OUT: Tuple[Tuple[str, str], ...] = (("blue", "star"), ("green", "ring"), ("yellow", "triangle"))


@dataclass(frozen=True)
class Obj:
    shape: str
    colour: str
    cx: float = 16.0  # centre, pixels (x right, y down); frame 0 for video
    cy: float = 16.0
    r: float = 5.0    # circumradius, pixels
    size: Optional[str] = None      # single only
    position: Optional[str] = None  # single only


@dataclass(frozen=True)
class Scene:
    kind: str
    background: str
    objects: Tuple[Obj, ...]
    relation: Optional[str] = None   # pair: object 0 relative to object 1
    direction: Optional[str] = None  # video
    speed: float = 0.0               # video: pixels per frame


def is_held_out(scene: Scene) -> bool:
    return any((o.colour, o.shape) in HELD_OUT for o in scene.objects)


# ----------------------------------------------------------------------------- sampling

def _choice(rng: np.random.Generator, items):
    return items[int(rng.integers(len(items)))]


def _object_colour(rng, background: str, avoid=()):
    while True:
        c = _choice(rng, OBJECT_COLOURS)
        if c != background and c not in avoid:
            return c


def _single_centre(rng, position: str, r: float) -> Tuple[float, float]:
    lo, hi = r + 1.0, SIZE - 1.0 - r
    col = {"left": lo, "right": hi}
    row = {"top": lo, "bottom": hi}
    words = position.split()
    cx = next((col[w] for w in words if w in col), SIZE / 2)
    cy = next((row[w] for w in words if w in row), SIZE / 2)
    cx += rng.uniform(-1.0, 1.0)
    cy += rng.uniform(-1.0, 1.0)
    return float(np.clip(cx, r + 0.5, SIZE - 0.5 - r)), float(np.clip(cy, r + 0.5, SIZE - 0.5 - r))


def _sample_once(rng: np.random.Generator, kind: str) -> Scene:
    bg = _choice(rng, tuple(BACKGROUNDS))
    if kind == "single":
        size = _choice(rng, SIZES)
        pos = _choice(rng, POSITIONS)
        r = float(rng.uniform(*SIZE_RADIUS[size]))
        cx, cy = _single_centre(rng, pos, r)
        o = Obj(_choice(rng, SHAPES), _object_colour(rng, bg), cx, cy, r, size, pos)
        return Scene("single", bg, (o,))
    if kind == "pair":
        rel = _choice(rng, RELATIONS)
        while True:
            s1, s2 = _choice(rng, SHAPES), _choice(rng, SHAPES)
            c1 = _object_colour(rng, bg)
            c2 = _object_colour(rng, bg)
            if (s1, c1) != (s2, c2):
                break
        r1, r2 = (float(rng.uniform(*PAIR_RADIUS)) for _ in range(2))
        a = rng.uniform(7.0, 10.0)          # first centre along the relation axis
        b = rng.uniform(SIZE - 10.0, SIZE - 7.0)
        c = rng.uniform(11.0, 21.0, size=2)  # across the axis
        if rel in ("left of", "right of"):
            p_first, p_second = (a, b) if rel == "left of" else (b, a)
            centres = ((p_first, c[0]), (p_second, c[1]))
        else:
            p_first, p_second = (a, b) if rel == "above" else (b, a)
            centres = ((c[0], p_first), (c[1], p_second))
        o1 = Obj(s1, c1, float(centres[0][0]), float(centres[0][1]), r1)
        o2 = Obj(s2, c2, float(centres[1][0]), float(centres[1][1]), r2)
        return Scene("pair", bg, (o1, o2), relation=rel)
    if kind == "video":
        d = _choice(rng, DIRECTIONS)
        speed = float(rng.uniform(2.0, 3.0))
        r = float(rng.uniform(*VIDEO_RADIUS))
        travel = speed * (FRAMES - 1)
        dx, dy = DIRECTION_VECTORS[d]
        lo, hi = r + 0.5, SIZE - 0.5 - r
        # along the motion axis: start so that the whole path stays inside
        start = rng.uniform(lo, max(lo, hi - travel))
        across = rng.uniform(lo + 2.0, hi - 2.0)
        along = start if (dx + dy) > 0 else SIZE - start
        cx, cy = (along, across) if dx != 0 else (across, along)
        o = Obj(_choice(rng, SHAPES), _object_colour(rng, bg), float(cx), float(cy), r)
        return Scene("video", bg, (o,), direction=d, speed=speed)
    raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")


def sample_scene(rng: np.random.Generator, kind: str, train: bool = False) -> Scene:
    """A random scene of `kind`; with train=True no object has a HELD_OUT (colour, shape)."""
    while True:
        s = _sample_once(rng, kind)
        if not (train and is_held_out(s)):
            return s


def prompt_set(kind: str, n: int, seed: int, held_out: bool) -> List[Scene]:
    """n test scenes of `kind` from seed: held_out=True -> each contains a HELD_OUT combination
    (for pairs: exactly object 1 or 2 or both); held_out=False -> none does (the training distribution)."""
    rng = np.random.default_rng([seed, KINDS.index(kind), int(held_out)])
    out: List[Scene] = []
    while len(out) < n:
        s = _sample_once(rng, kind)
        if held_out and not is_held_out(s):
            # force a held-out combination into object 0 (re-drawing would be slow: ~10% rate)
            col, shp = _choice(rng, HELD_OUT)
            if col == s.background:
                continue
            o = s.objects[0]
            if kind == "pair" and (shp, col) == (s.objects[1].shape, s.objects[1].colour):
                continue
            o = Obj(shp, col, o.cx, o.cy, o.r, o.size, o.position)
            s = Scene(s.kind, s.background, (o,) + s.objects[1:], s.relation, s.direction, s.speed)
        if held_out == is_held_out(s):
            out.append(s)
    return out


# ----------------------------------------------------------------------------- rendering

_sub = (np.arange(SIZE * SS, dtype=np.float32) + 0.5) / SS  # sub-pixel centres, pixel units
_GY, _GX = np.meshgrid(_sub, _sub, indexing="ij")

_STAR_K = 5
_STAR_INNER = 0.45
_SECTOR = 2 * np.pi / _STAR_K
# star kite: tip at (1, 0), inner vertex at angle pi/5 with radius _STAR_INNER (folded coords)
_TIP = np.array([1.0, 0.0])
_INN = np.array([_STAR_INNER * np.cos(_SECTOR / 2), _STAR_INNER * np.sin(_SECTOR / 2)])
_EDGE_N = np.array([-(_INN - _TIP)[1], (_INN - _TIP)[0]])  # normal of tip->inner edge
_EDGE_N = _EDGE_N * np.sign(_EDGE_N @ (-_TIP))           # pointing towards the origin
_EDGE_C = float(_EDGE_N @ _TIP)


def shape_mask(shape: str, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Boolean inside-test in normalised coordinates (circumradius 1, v pointing down)."""
    if shape == "circle":
        return u * u + v * v <= 0.92
    if shape == "square":
        return np.maximum(np.abs(u), np.abs(v)) <= 0.75
    if shape == "triangle":  # pointing up, centroid at origin, circumradius 1 (shifted down 0.1)
        vv = v - 0.12
        return (vv <= 0.5) & (0.866 * u - 0.5 * vv <= 0.5) & (-0.866 * u - 0.5 * vv <= 0.5)
    if shape == "star":  # 5 points, one pointing up
        rho = np.sqrt(u * u + v * v)
        th = np.arctan2(v, u) + np.pi / 2  # tip at angle -pi/2 (up)
        th = np.mod(th + _SECTOR / 2, _SECTOR) - _SECTOR / 2
        th = np.abs(th)
        px, py = rho * np.cos(th), rho * np.sin(th)
        return (_EDGE_N[0] * px + _EDGE_N[1] * py) >= _EDGE_C
    if shape == "ring":
        d2 = u * u + v * v
        return (d2 <= 0.92) & (d2 >= 0.36)
    if shape == "cross":
        au, av = np.abs(u), np.abs(v)
        return ((au <= 0.28) & (av <= 0.9)) | ((av <= 0.28) & (au <= 0.9))
    if shape == "diamond":
        return np.abs(u) + np.abs(v) <= 1.0
    raise ValueError(f"shape must be one of {SHAPES}, got {shape!r}")


def _coverage(o: Obj, cx: float, cy: float) -> np.ndarray:
    """Fractional coverage (32, 32) of object o centred at (cx, cy)."""
    m = shape_mask(o.shape, (_GX - cx) / o.r, (_GY - cy) / o.r).astype(np.float32)
    return m.reshape(SIZE, SS, SIZE, SS).mean(axis=(1, 3))


def _rgb(name: str, table) -> np.ndarray:
    return (np.asarray(table[name], dtype=np.float32) / 127.5 - 1.0).reshape(3, 1, 1)


def _render_frame(scene: Scene, offset: Tuple[float, float] = (0.0, 0.0)) -> np.ndarray:
    img = np.broadcast_to(_rgb(scene.background, BACKGROUNDS), (3, SIZE, SIZE)).copy()
    for o in scene.objects:
        a = _coverage(o, o.cx + offset[0], o.cy + offset[1])[None]
        img = img * (1.0 - a) + _rgb(o.colour, COLOURS) * a
    return img.astype(np.float32)


def render(scene: Scene) -> np.ndarray:
    """float32 (3, 32, 32) in [-1, 1]; video scenes: (8, 3, 32, 32)."""
    if scene.kind == "video":
        dx, dy = DIRECTION_VECTORS[scene.direction]
        return np.stack([_render_frame(scene, (dx * scene.speed * t, dy * scene.speed * t))
                         for t in range(FRAMES)])
    return _render_frame(scene)


def render_batch(scenes: List[Scene]) -> np.ndarray:
    return np.stack([render(s) for s in scenes])


# ----------------------------------------------------------------------------- captions

def attributes(scene: Scene) -> dict:
    """The categorical attributes a caption states (what parse_caption returns)."""
    if scene.kind == "single":
        o = scene.objects[0]
        return {"kind": "single", "size": o.size, "colour": o.colour, "shape": o.shape,
                "position": o.position, "background": scene.background}
    if scene.kind == "pair":
        a, b = scene.objects
        return {"kind": "pair", "colour1": a.colour, "shape1": a.shape, "relation": scene.relation,
                "colour2": b.colour, "shape2": b.shape, "background": scene.background}
    o = scene.objects[0]
    return {"kind": "video", "colour": o.colour, "shape": o.shape, "direction": scene.direction,
            "background": scene.background}


def caption(scene: Scene) -> str:
    a = attributes(scene)
    bg = f"on a {a['background']} background"
    if scene.kind == "single":
        return f"a {a['size']} {a['colour']} {a['shape']} {POSITION_PHRASES[a['position']]} {bg}"
    if scene.kind == "pair":
        return (f"a {a['colour1']} {a['shape1']} {RELATION_PHRASES[a['relation']]} "
                f"a {a['colour2']} {a['shape2']} {bg}")
    return f"a {a['colour']} {a['shape']} moving {a['direction']} {bg}"


def tokens(text: str) -> List[str]:
    """The Java word-level tokenizer's split: lower-case runs of letters/digits."""
    return re.findall(r"[a-z0-9]+", text.lower())


def _lookup(table: dict, words: List[str], what: str, text: str):
    key = " ".join(words)
    for k, v in table.items():
        if v == key:
            return k
    raise ValueError(f"caption {text!r}: cannot parse {what} from {key!r}")


def _pick(value: str, allowed, what: str, text: str) -> str:
    if value not in allowed:
        raise ValueError(f"caption {text!r}: {what} must be one of {sorted(allowed)}, got {value!r}")
    return value


def parse_caption(text: str) -> dict:
    """Inverse of caption(): the attributes dict; ValueError on anything caption() cannot produce."""
    t = tokens(text)
    if len(t) < 8 or t[0] != "a" or t[-4:-1] != ["on", "a", t[-2]] or t[-1] != "background":
        raise ValueError(f"caption {text!r}: expected 'a ... on a <colour> background'")
    bg = _pick(t[-2], BACKGROUNDS, "background", text)
    body = t[1:-4]
    if body[0] in SIZES:  # single
        size = body[0]
        colour = _pick(body[1], OBJECT_COLOURS, "colour", text)
        shape = _pick(body[2], SHAPES, "shape", text)
        pos = _lookup(POSITION_PHRASES, body[3:], "position", text)
        out = {"kind": "single", "size": size, "colour": colour, "shape": shape,
               "position": pos, "background": bg}
    elif len(body) == 4 and body[2] == "moving":
        colour = _pick(body[0], OBJECT_COLOURS, "colour", text)
        shape = _pick(body[1], SHAPES, "shape", text)
        d = _pick(body[3], DIRECTIONS, "direction", text)
        out = {"kind": "video", "colour": colour, "shape": shape, "direction": d, "background": bg}
    else:
        if len(body) < 6 or body[-3] != "a":
            raise ValueError(f"caption {text!r}: not a single, pair or video caption")
        c1 = _pick(body[0], OBJECT_COLOURS, "colour", text)
        s1 = _pick(body[1], SHAPES, "shape", text)
        rel = _lookup(RELATION_PHRASES, body[2:-3], "relation", text)
        c2 = _pick(body[-2], OBJECT_COLOURS, "colour", text)
        s2 = _pick(body[-1], SHAPES, "shape", text)
        if (c1, s1) == (c2, s2):
            raise ValueError(f"caption {text!r}: the two objects must differ")
        out = {"kind": "pair", "colour1": c1, "shape1": s1, "relation": rel,
               "colour2": c2, "shape2": s2, "background": bg}
    for k in ("colour", "colour1", "colour2"):
        if k in out and out[k] == bg:
            raise ValueError(f"caption {text!r}: object colour must differ from the background")
    return out


def vocabulary() -> List[str]:
    """Sorted list of every word any caption() can produce (without special tokens)."""
    words = set(["a", "on", "background", "moving"])
    words.update(SHAPES, OBJECT_COLOURS, BACKGROUNDS, SIZES, DIRECTIONS)
    for p in list(POSITION_PHRASES.values()) + list(RELATION_PHRASES.values()):
        words.update(p.split())
    return sorted(words)


def max_caption_tokens() -> int:
    """Longest caption in words, without <bos>/<eos> (14: a pair "... to the right of ..."; single <= 12,
    video 9). A tokenizer's model_max_length must be at least this + 2."""
    return max(len(tokens(t)) for t in (
        "a small white diamond at the bottom right on a black background",
        "a white diamond to the right of a black diamond on a gray background",
        "a white diamond moving right on a black background"))


# ----------------------------------------------------------------------------- contact sheet

def to_uint8(img: np.ndarray) -> np.ndarray:
    """(3, H, W) in [-1, 1] -> (H, W, 3) uint8."""
    return np.clip(np.round((img.transpose(1, 2, 0) + 1.0) * 127.5), 0, 255).astype(np.uint8)


def write_png(path: str, rgb: np.ndarray) -> None:
    import struct
    import zlib
    h, w, _ = rgb.shape
    raw = b"".join(b"\x00" + rgb[y].tobytes() for y in range(h))

    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def contact_sheet(path: str, scale: int = 3) -> None:
    rng = np.random.default_rng(0)
    tiles = []
    # row per shape: small and large on several colours/backgrounds
    for shp in SHAPES:
        row = []
        for i in range(10):
            s = sample_scene(rng, "single")
            o = s.objects[0]
            size = "small" if i < 5 else "large"
            r = float(rng.uniform(*SIZE_RADIUS[size]))
            cx, cy = _single_centre(rng, o.position, r)
            s = Scene("single", s.background, (Obj(shp, o.colour, cx, cy, r, size, o.position),))
            row.append(render(s))
        tiles.append(row)
    tiles.append([render(sample_scene(rng, "pair")) for _ in range(10)])
    v = sample_scene(rng, "video")
    tiles.append(list(render(v)) + [render(sample_scene(rng, "pair")) for _ in range(2)])
    pad = 2
    H = len(tiles) * (SIZE * scale + pad) + pad
    W = 10 * (SIZE * scale + pad) + pad
    sheet = np.full((H, W, 3), 200, np.uint8)
    for i, row in enumerate(tiles):
        for j, img in enumerate(row):
            t = np.repeat(np.repeat(to_uint8(img), scale, 0), scale, 1)
            y, x = pad + i * (SIZE * scale + pad), pad + j * (SIZE * scale + pad)
            sheet[y:y + SIZE * scale, x:x + SIZE * scale] = t
    write_png(path, sheet)


if __name__ == "__main__":
    import os
    import time
    out = sys.argv[1] if len(sys.argv) > 1 else "target/shapes/contact_sheet.png"
    os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
    contact_sheet(out)
    rng = np.random.default_rng(1)
    for kind in KINDS:
        scenes = [sample_scene(rng, kind, train=True) for _ in range(200)]
        t0 = time.time()
        render_batch(scenes)
        dt = (time.time() - t0) / len(scenes)
        for s in scenes:
            assert parse_caption(caption(s)) == attributes(s), caption(s)
        print(f"{kind}: {dt * 1e3:.2f} ms/scene, e.g. {caption(scenes[0])!r}")
    print("vocabulary", len(vocabulary()), vocabulary())
    print("max caption tokens", max_caption_tokens())
    print("wrote", out)

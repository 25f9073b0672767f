"""Self-checks of tools/shapes/world.py: /usr/bin/python3 tools/shapes/check_world.py (exit 0 = all pass)."""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import world as W  # noqa: E402


def main():
    rng = np.random.default_rng(0)
    for kind in W.KINDS:
        scenes = [W.sample_scene(rng, kind) for _ in range(3000)]
        for s in scenes:
            assert W.parse_caption(W.caption(s)) == W.attributes(s), W.caption(s)
            assert all(o.colour != s.background for o in s.objects)
            assert set(W.tokens(W.caption(s))) <= set(W.vocabulary())
            assert len(W.tokens(W.caption(s))) <= W.max_caption_tokens()
        assert any(W.is_held_out(s) for s in scenes), kind
        tr = [W.sample_scene(rng, kind, train=True) for _ in range(3000)]
        assert not any(W.is_held_out(s) for s in tr), kind
        for ho in (False, True):
            ps = W.prompt_set(kind, 300, 5, ho)
            assert all(W.is_held_out(s) == ho for s in ps)
            assert [W.caption(s) for s in ps] == [W.caption(s) for s in W.prompt_set(kind, 300, 5, ho)]
        imgs = W.render_batch(scenes[:50])
        assert imgs.dtype == np.float32 and imgs.min() >= -1 and imgs.max() <= 1
        assert imgs.shape[1:] == ((8, 3, 32, 32) if kind == "video" else (3, 32, 32))
    # determinism
    a = W.render(W.sample_scene(np.random.default_rng(3), "pair"))
    b = W.render(W.sample_scene(np.random.default_rng(3), "pair"))
    assert np.array_equal(a, b)
    # single-object geometry: objects stay inside and the position words match the centre
    for s in [W.sample_scene(rng, "single") for _ in range(2000)]:
        o = s.objects[0]
        assert o.r <= o.cx <= 32 - o.r and o.r <= o.cy <= 32 - o.r
        if "left" in o.position:
            assert o.cx < 12
        if "right" in o.position:
            assert o.cx > 20
        if o.position in ("centre", "top", "bottom"):
            assert abs(o.cx - 16) <= 1
    # video: object moves 2-3 px/frame in the stated direction (centre of mass of the object mask)
    for s in [W.sample_scene(rng, "video") for _ in range(200)]:
        v = W.render(s)
        bg = (np.asarray(W.BACKGROUNDS[s.background], np.float32) / 127.5 - 1).reshape(3, 1, 1)
        m = np.abs(v - bg).sum(1)  # (8, 32, 32)
        ys, xs = np.mgrid[0:32, 0:32]
        com = np.stack([(m * xs).sum((1, 2)) / m.sum((1, 2)), (m * ys).sum((1, 2)) / m.sum((1, 2))], 1)
        step = np.diff(com, axis=0).mean(0)
        dx, dy = W.DIRECTION_VECTORS[s.direction]
        along = step[0] * dx + step[1] * dy
        assert 1.9 <= along <= 3.1, (s, step)
    # parser rejects what caption() cannot produce
    bad = ["", "a red circle", "a small red circle in the centre on a red background",
           "a small red circle in the middle on a white background", "a huge red circle in the centre on a white background",
           "a red circle to the left of a red circle on a white background",
           "a red circle moving sideways on a black background", "the small red circle in the centre on a white background",
           "a small red circle in the centre on a white background please"]
    for t in bad:
        try:
            W.parse_caption(t)
        except ValueError:
            continue
        raise AssertionError(f"parse_caption accepted {t!r}")
    print("world checks passed")


if __name__ == "__main__":
    main()

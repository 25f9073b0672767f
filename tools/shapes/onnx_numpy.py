"""A tiny numpy interpreter for the ONNX ops the shapes evaluator exports (no onnxruntime in Python).

Supports Conv (group 1, no dilation), Relu, MaxPool (no padding), Flatten, Reshape, Shape, Constant,
Slice, Concat. Used by train_eval.py to check the exported graphs against PyTorch.
"""
from __future__ import annotations

import numpy as np
import onnx
from onnx import numpy_helper


def _attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _conv(x, w, b, strides, pads):
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    x = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    oh = (x.shape[2] - kh) // strides[0] + 1
    ow = (x.shape[3] - kw) // strides[1] + 1
    cols = np.empty((n, c, kh, kw, oh, ow), x.dtype)
    for i in range(kh):
        for j in range(kw):
            cols[:, :, i, j] = x[:, :, i:i + strides[0] * oh:strides[0], j:j + strides[1] * ow:strides[1]]
    y = np.einsum("nckluv,ockl->nouv", cols, w, optimize=True)
    if b is not None:
        y = y + b.reshape(1, -1, 1, 1)
    return y.astype(np.float32)


def _maxpool(x, k, s):
    n, c, h, w = x.shape
    oh, ow = (h - k[0]) // s[0] + 1, (w - k[1]) // s[1] + 1
    y = np.full((n, c, oh, ow), -np.inf, x.dtype)
    for i in range(k[0]):
        for j in range(k[1]):
            y = np.maximum(y, x[:, :, i:i + s[0] * oh:s[0], j:j + s[1] * ow:s[1]])
    return y


def run(model: onnx.ModelProto, feeds: dict) -> dict:
    env = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    env.update({k: np.asarray(v) for k, v in feeds.items()})
    for node in model.graph.node:
        a = _attrs(node)
        ins = [env[i] if i else None for i in node.input]
        op = node.op_type
        if op == "Conv":
            assert a.get("group", 1) == 1 and all(d == 1 for d in a.get("dilations", [1, 1]))
            out = _conv(ins[0], ins[1], ins[2] if len(ins) > 2 else None,
                        a.get("strides", [1, 1]), a.get("pads", [0, 0, 0, 0]))
        elif op == "Relu":
            out = np.maximum(ins[0], 0)
        elif op == "MaxPool":
            assert not any(a.get("pads", [0])), "padded MaxPool unsupported"
            out = _maxpool(ins[0], a["kernel_shape"], a.get("strides", a["kernel_shape"]))
        elif op == "Flatten":
            ax = a.get("axis", 1)
            out = ins[0].reshape(int(np.prod(ins[0].shape[:ax])), -1)
        elif op == "Shape":
            out = np.array(ins[0].shape, np.int64)
        elif op == "Constant":
            out = numpy_helper.to_array(a["value"])
        elif op == "Slice":
            data, starts, ends = ins[0], ins[1], ins[2]
            axes = ins[3] if len(ins) > 3 and ins[3] is not None else np.arange(len(starts))
            steps = ins[4] if len(ins) > 4 and ins[4] is not None else np.ones(len(starts), np.int64)
            sl = [slice(None)] * data.ndim
            for s, e, ax, st in zip(starts, ends, axes, steps):
                sl[int(ax)] = slice(int(s), int(min(e, 2 ** 62)), int(st))
            out = data[tuple(sl)]
        elif op == "Concat":
            out = np.concatenate(ins, axis=a["axis"])
        elif op == "Reshape":
            shape = [int(d) if d != 0 else ins[0].shape[i] for i, d in enumerate(ins[1])]
            out = ins[0].reshape(shape)
        else:
            raise NotImplementedError(op)
        env[node.output[0]] = out
    return {o.name: env[o.name] for o in model.graph.output}

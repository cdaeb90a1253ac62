#!/usr/bin/env python3
"""PyTorch peer of DiffusionAlign's alignment step, for `dalign bench`.

Re-implements DiffusionAlign's UNet2DConditionModel (src/DiffusionAlign/Models, itself diffusers'
UNet2DConditionModel with the same parameter names) in plain PyTorch, and times the same training
step as AlignmentBenchmark.TimeTraining: winners and losers in one forward of 2B images with the
same t and noise per pair, the frozen reference under no_grad, the DSPO or Diffusion-DPO loss,
backward, clip_grad_norm(1.0), AdamW. Prints ONE JSON object on stdout; progress goes to stderr.

Only the standard library, numpy and torch are used (Debian's python3-torch is 1.13, which has no
scaled_dot_product_attention, so attention is softmax(Q K^T / sqrt(d)) V written out).

    /usr/bin/python3 bench/peer/peer_step.py --config unet.json --method dspo --pairs 8 --threads 2

With --weights and --check it instead verifies that it is the same network: it loads our
safetensors weights, runs the inputs stored in the check file and reports the largest absolute
difference from the outputs DiffusionAlign stored there (see bench/peer/README.md).
"""

import argparse
import json
import math
import os
import platform
import re
import shutil
import statistics
import struct
import subprocess
import sys
import time


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--config", required=True,
                   help="diffusers-style UNet config.json (or a dalign model config.json with a 'unet' key)")
    p.add_argument("--method", choices=["dspo", "dpo"], default="dspo")
    p.add_argument("--pairs", type=int, default=8, help="preference pairs per step (2x images per forward)")
    p.add_argument("--steps", type=int, default=10, help="timed steps")
    p.add_argument("--warmup", type=int, default=2, help="untimed steps first")
    p.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (and OMP/BLAS threads)")
    p.add_argument("--text-tokens", type=int, default=10, help="prompt length L of the text states [2B, L, cross_dim]")
    p.add_argument("--cross-dim", type=int, default=None,
                   help="text state width (default: the config's cross_attention_dim)")
    p.add_argument("--beta", type=float, default=None,
                   help=("beta of the loss (default: DiffusionAlign's AlignConfig.DefaultsFor: "
                         "dspo 0.001, dpo 2000)"))
    p.add_argument("--lr", type=float, default=2e-5,
                   help="AdamW learning rate (dalign bench passes AlignConfig's default)")
    p.add_argument("--weight-decay", type=float, default=0.01,
                   help="AdamW weight decay (dalign bench passes AlignConfig's default, 0.01, as the trainer uses)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--weights", default=None,
                   help="safetensors file with the UNet weights (names as diffusers; a 'unet.' prefix is stripped)")
    p.add_argument("--check", default=None,
                   help="safetensors file of inputs and expected outputs; verify instead of timing")
    return p.parse_args(argv)


ARGS = parse_args(sys.argv[1:])
# Before torch loads: its OpenMP pool and the system BLAS read these once.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = str(ARGS.threads)

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402


def log(message):
    print(f"[peer] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# Config: the keys DiffusionAlign's UNet2DConditionConfig writes, with the same defaults.
# ---------------------------------------------------------------------------------------------

DEFAULTS = {
    "in_channels": 4, "out_channels": 4, "center_input_sample": False, "flip_sin_to_cos": True,
    "freq_shift": 0,
    "down_block_types": ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"],
    "mid_block_type": "UNetMidBlock2DCrossAttn",
    "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"],
    "only_cross_attention": False, "block_out_channels": [320, 640, 1280, 1280], "layers_per_block": 2,
    "downsample_padding": 1, "mid_block_scale_factor": 1.0, "dropout": 0.0, "act_fn": "silu",
    "norm_num_groups": 32, "norm_eps": 1e-5, "cross_attention_dim": 1280, "transformer_layers_per_block": 1,
    "attention_head_dim": 8, "dual_cross_attention": False, "use_linear_projection": False,
    "upcast_attention": False,
}


def load_config(path):
    with open(path, encoding="utf-8") as f:
        raw = json.load(f)
    scheduler = raw.get("scheduler") if isinstance(raw.get("scheduler"), dict) else {}
    if isinstance(raw.get("unet"), dict):
        raw = raw["unet"]
    config = dict(DEFAULTS)
    config.update({k: v for k, v in raw.items() if k in DEFAULTS})
    if config["mid_block_type"] != "UNetMidBlock2DCrossAttn":
        raise SystemExit(f"mid_block_type {config['mid_block_type']} is not implemented")
    if config["dual_cross_attention"]:
        raise SystemExit("dual_cross_attention is not implemented")
    return config, scheduler


def per_block(value, block):
    """diffusers accepts one value for all blocks or a list with one per block (PerBlock<T>)."""
    return value[block] if isinstance(value, list) else value


ACTIVATIONS = {"silu": F.silu, "swish": F.silu, "mish": F.mish, "gelu": F.gelu}


# ---------------------------------------------------------------------------------------------
# The network. Attribute names are the diffusers checkpoint names, like ours.
# ---------------------------------------------------------------------------------------------

class Timesteps(nn.Module):
    """Sinusoidal timestep embedding, the same float32 operations as Timesteps.cs / diffusers."""

    def __init__(self, channels, flip_sin_to_cos, shift):
        super().__init__()
        self.channels, self.flip, self.shift = channels, flip_sin_to_cos, shift

    def forward(self, timesteps):
        half = self.channels // 2
        exponent = torch.arange(0, half, dtype=torch.float32, device=timesteps.device) * -math.log(10000.0)
        exponent = exponent / (half - self.shift)
        angles = timesteps[:, None].float() * torch.exp(exponent)[None, :]
        if self.flip:
            emb = torch.cat([torch.cos(angles), torch.sin(angles)], dim=-1)
        else:
            emb = torch.cat([torch.sin(angles), torch.cos(angles)], dim=-1)
        if self.channels % 2 == 1:
            emb = F.pad(emb, (0, 1, 0, 0))
        return emb


class TimestepEmbedding(nn.Module):
    def __init__(self, in_channels, dim, act):
        super().__init__()
        self.linear_1 = nn.Linear(in_channels, dim)
        self.linear_2 = nn.Linear(dim, dim)
        self.act = ACTIVATIONS[act]

    def forward(self, x):
        return self.linear_2(self.act(self.linear_1(x)))


class ResnetBlock2D(nn.Module):
    def __init__(self, in_ch, out_ch, temb, groups, eps, act, dropout, output_scale_factor=1.0):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, in_ch, eps=eps, affine=True)
        self.conv1 = nn.Conv2d(in_ch, out_ch, 3, padding=1)
        self.time_emb_proj = nn.Linear(temb, out_ch)
        self.norm2 = nn.GroupNorm(groups, out_ch, eps=eps, affine=True)
        self.dropout = nn.Dropout(dropout)
        self.conv2 = nn.Conv2d(out_ch, out_ch, 3, padding=1)
        self.conv_shortcut = nn.Conv2d(in_ch, out_ch, 1) if in_ch != out_ch else None
        self.act = ACTIVATIONS[act]
        self.output_scale_factor = output_scale_factor

    def forward(self, x, temb):
        h = self.conv1(self.act(self.norm1(x)))
        h = h + self.time_emb_proj(self.act(temb))[:, :, None, None]
        h = self.conv2(self.dropout(self.act(self.norm2(h))))
        shortcut = x if self.conv_shortcut is None else self.conv_shortcut(x)
        out = shortcut + h
        return out if self.output_scale_factor == 1.0 else out / self.output_scale_factor


class Attention(nn.Module):
    """Bias-free q/k/v, softmax(Q K^T / sqrt(head_dim)) V per head, to_out = [Linear, Dropout]."""

    def __init__(self, query_dim, cross_dim, heads, head_dim, dropout):
        super().__init__()
        inner = heads * head_dim
        context_dim = cross_dim if cross_dim is not None else query_dim
        self.heads, self.head_dim, self.scale = heads, head_dim, head_dim ** -0.5
        self.to_q = nn.Linear(query_dim, inner, bias=False)
        self.to_k = nn.Linear(context_dim, inner, bias=False)
        self.to_v = nn.Linear(context_dim, inner, bias=False)
        self.to_out = nn.ModuleList([nn.Linear(inner, query_dim), nn.Dropout(dropout)])

    def split(self, x):  # [B, L, H*D] -> [B, H, L, D]
        return x.view(x.shape[0], x.shape[1], self.heads, self.head_dim).transpose(1, 2)

    def forward(self, x, context=None):
        source = x if context is None else context
        q, k, v = self.split(self.to_q(x)), self.split(self.to_k(source)), self.split(self.to_v(source))
        # torch 1.13 has no F.scaled_dot_product_attention: the math form, as its fallback computes it.
        weights = torch.softmax(torch.matmul(q * self.scale, k.transpose(-2, -1)), dim=-1)
        out = torch.matmul(weights, v)
        out = out.transpose(1, 2).reshape(x.shape[0], x.shape[1], self.heads * self.head_dim)
        for layer in self.to_out:
            out = layer(out)
        return out


class GEGLU(nn.Module):
    def __init__(self, dim_in, dim_out):
        super().__init__()
        self.proj = nn.Linear(dim_in, dim_out * 2)

    def forward(self, x):
        value, gate = self.proj(x).chunk(2, dim=-1)
        return value * F.gelu(gate)


class FeedForward(nn.Module):
    def __init__(self, dim, dropout):
        super().__init__()
        self.net = nn.ModuleList([GEGLU(dim, dim * 4), nn.Dropout(dropout), nn.Linear(dim * 4, dim)])

    def forward(self, x):
        for layer in self.net:
            x = layer(x)
        return x


class BasicTransformerBlock(nn.Module):
    def __init__(self, dim, heads, head_dim, cross_dim, only_cross, dropout):
        super().__init__()
        self.only_cross = only_cross
        self.norm1 = nn.LayerNorm(dim, eps=1e-5)
        self.attn1 = Attention(dim, cross_dim if only_cross else None, heads, head_dim, dropout)
        self.norm2 = nn.LayerNorm(dim, eps=1e-5)
        self.attn2 = Attention(dim, cross_dim, heads, head_dim, dropout)
        self.norm3 = nn.LayerNorm(dim, eps=1e-5)
        self.ff = FeedForward(dim, dropout)

    def forward(self, x, context):
        x = self.attn1(self.norm1(x), context if self.only_cross else None) + x
        x = self.attn2(self.norm2(x), context) + x
        return self.ff(self.norm3(x)) + x


class Transformer2DModel(nn.Module):
    def __init__(self, heads, head_dim, channels, layers, cross_dim, groups, linear_proj, only_cross, dropout):
        super().__init__()
        inner = heads * head_dim
        self.linear_proj = linear_proj
        self.norm = nn.GroupNorm(groups, channels, eps=1e-6, affine=True)
        self.proj_in = nn.Linear(channels, inner) if linear_proj else nn.Conv2d(channels, inner, 1)
        self.transformer_blocks = nn.ModuleList(
            [BasicTransformerBlock(inner, heads, head_dim, cross_dim, only_cross, dropout) for _ in range(layers)])
        self.proj_out = nn.Linear(inner, channels) if linear_proj else nn.Conv2d(inner, channels, 1)

    def forward(self, x, context):
        b, _, h, w = x.shape
        hidden = self.norm(x)
        if not self.linear_proj:
            hidden = self.proj_in(hidden)
        inner = hidden.shape[1]
        hidden = hidden.permute(0, 2, 3, 1).reshape(b, h * w, inner)
        if self.linear_proj:
            hidden = self.proj_in(hidden)
        for block in self.transformer_blocks:
            hidden = block(hidden, context)
        if self.linear_proj:
            hidden = self.proj_out(hidden)
        inner = hidden.shape[2]
        hidden = hidden.reshape(b, h, w, inner).permute(0, 3, 1, 2).contiguous()
        if not self.linear_proj:
            hidden = self.proj_out(hidden)
        return hidden + x


class Downsample2D(nn.Module):
    def __init__(self, channels, padding):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, stride=2, padding=padding)
        self.pad_right_bottom = padding == 0

    def forward(self, x):
        return self.conv(F.pad(x, (0, 1, 0, 1)) if self.pad_right_bottom else x)


class Upsample2D(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x, size=None):
        x = (F.interpolate(x, scale_factor=2.0, mode="nearest") if size is None
             else F.interpolate(x, size=size, mode="nearest"))
        return self.conv(x)


class DownBlock(nn.Module):
    """DownBlock2D (attention=None) and CrossAttnDownBlock2D (attention settings given)."""

    def __init__(self, in_ch, out_ch, layers, add_downsample, padding, resnet, attention):
        super().__init__()
        self.resnets = nn.ModuleList(
            [ResnetBlock2D(in_ch if i == 0 else out_ch, out_ch, **resnet) for i in range(layers)])
        if attention is not None:
            self.attentions = nn.ModuleList([make_transformer(out_ch, resnet, attention) for _ in range(layers)])
        else:
            self.attentions = None
        self.downsamplers = nn.ModuleList([Downsample2D(out_ch, padding)]) if add_downsample else None

    def forward(self, x, temb, context):
        skips = []
        for i, resnet in enumerate(self.resnets):
            x = resnet(x, temb)
            if self.attentions is not None:
                x = self.attentions[i](x, context)
            skips.append(x)
        if self.downsamplers is not None:
            for down in self.downsamplers:
                x = down(x)
            skips.append(x)
        return x, skips


class UpBlock(nn.Module):
    """UpBlock2D (attention=None) and CrossAttnUpBlock2D."""

    def __init__(self, in_ch, prev_out, out_ch, layers, add_upsample, resnet, attention):
        super().__init__()

        def resnet_input(i):  # UpBlockChannels.ResnetInput
            skip = in_ch if i == layers - 1 else out_ch
            hidden = prev_out if i == 0 else out_ch
            return hidden + skip

        self.resnets = nn.ModuleList([ResnetBlock2D(resnet_input(i), out_ch, **resnet) for i in range(layers)])
        if attention is not None:
            self.attentions = nn.ModuleList([make_transformer(out_ch, resnet, attention) for _ in range(layers)])
        else:
            self.attentions = None
        self.upsamplers = nn.ModuleList([Upsample2D(out_ch)]) if add_upsample else None

    def forward(self, x, skips, temb, context, size):
        for i, resnet in enumerate(self.resnets):
            x = torch.cat([x, skips[len(skips) - 1 - i]], dim=1)
            x = resnet(x, temb)
            if self.attentions is not None:
                x = self.attentions[i](x, context)
        if self.upsamplers is not None:
            for up in self.upsamplers:
                x = up(x, size)
        return x


class UNetMidBlock2DCrossAttn(nn.Module):
    def __init__(self, channels, resnet, attention, layers=1):
        super().__init__()
        attention = dict(attention, only_cross=False)  # diffusers never passes only_cross_attention here
        self.attentions = nn.ModuleList([make_transformer(channels, resnet, attention) for _ in range(layers)])
        self.resnets = nn.ModuleList([ResnetBlock2D(channels, channels, **resnet) for _ in range(layers + 1)])

    def forward(self, x, temb, context):
        x = self.resnets[0](x, temb)
        for attn, resnet in zip(self.attentions, self.resnets[1:]):
            x = resnet(attn(x, context), temb)
        return x


def make_transformer(channels, resnet, attention):
    heads = attention["heads"]
    return Transformer2DModel(heads, channels // heads, channels, attention["layers"], attention["cross_dim"],
                              resnet["groups"], attention["linear_proj"], attention["only_cross"], resnet["dropout"])


class UNet2DConditionModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.config = c
        ch = c["block_out_channels"]
        n = len(ch)
        temb = ch[0] * 4
        self.conv_in = nn.Conv2d(c["in_channels"], ch[0], 3, padding=1)
        self.time_proj = Timesteps(ch[0], c["flip_sin_to_cos"], c["freq_shift"])
        self.time_embedding = TimestepEmbedding(ch[0], temb, c["act_fn"])
        resnet = dict(temb=temb, groups=c["norm_num_groups"], eps=c["norm_eps"], act=c["act_fn"], dropout=c["dropout"])

        def attention_of(block):
            return dict(heads=per_block(c["attention_head_dim"], block),
                        cross_dim=per_block(c["cross_attention_dim"], block),
                        layers=per_block(c["transformer_layers_per_block"], block),
                        linear_proj=c["use_linear_projection"],
                        only_cross=per_block(c["only_cross_attention"], block))

        downs = []
        for i in range(n):
            attention = attention_of(i) if c["down_block_types"][i] == "CrossAttnDownBlock2D" else None
            downs.append(DownBlock(ch[0] if i == 0 else ch[i - 1], ch[i], per_block(c["layers_per_block"], i),
                                   i < n - 1, c["downsample_padding"], resnet, attention))
        self.down_blocks = nn.ModuleList(downs)
        self.mid_block = UNetMidBlock2DCrossAttn(ch[-1], dict(resnet, output_scale_factor=c["mid_block_scale_factor"]),
                                                 attention_of(n - 1))

        ups = []
        output = ch[-1]
        for i in range(n):
            mirrored = n - 1 - i
            prev_output, output = output, ch[mirrored]
            attention = attention_of(mirrored) if c["up_block_types"][i] == "CrossAttnUpBlock2D" else None
            ups.append(UpBlock(ch[max(mirrored - 1, 0)], prev_output, output,
                               per_block(c["layers_per_block"], mirrored) + 1,
                               i < n - 1, resnet, attention))
        self.up_blocks = nn.ModuleList(ups)
        self.conv_norm_out = nn.GroupNorm(c["norm_num_groups"], ch[0], eps=c["norm_eps"], affine=True)
        self.conv_act = ACTIVATIONS[c["act_fn"]]
        self.conv_out = nn.Conv2d(ch[0], c["out_channels"], 3, padding=1)

    def forward(self, sample, timestep, context):
        if self.config["center_input_sample"]:
            sample = sample * 2.0 - 1.0
        timesteps = timestep.reshape(1) if timestep.dim() == 0 else timestep
        timesteps = timesteps.expand(sample.shape[0])
        emb = self.time_embedding(self.time_proj(timesteps).to(sample.dtype))
        x = self.conv_in(sample)
        skips = [x]
        for block in self.down_blocks:
            x, block_skips = block(x, emb, context)
            skips.extend(block_skips)
        x = self.mid_block(x, emb, context)
        for i, block in enumerate(self.up_blocks):
            count = len(block.resnets)
            block_skips, skips = skips[-count:], skips[:-count]
            size = skips[-1].shape[2:] if i < len(self.up_blocks) - 1 else None
            x = block(x, block_skips, emb, context, size)
        return self.conv_out(self.conv_act(self.conv_norm_out(x)))


# ---------------------------------------------------------------------------------------------
# Objectives: the formulas of src/DiffusionAlign/Objectives (PairErrors, DspoLoss, DiffusionDpoLoss).
# ---------------------------------------------------------------------------------------------

def per_sample_mse(pred, target):
    diff = pred.float() - target.float()
    return diff.square().reshape(diff.shape[0], -1).mean(dim=1)


def margin(model_pred, reference_pred, target, beta):
    """u = -(beta/2) * ((m_w - m_l) - (r_w - r_l)); reference errors carry no gradient."""
    b = model_pred.shape[0] // 2
    m = per_sample_mse(model_pred, target)
    with torch.no_grad():
        r = per_sample_mse(reference_pred.detach(), target)
    return ((m[:b] - m[b:]) - (r[:b] - r[b:])) * (-beta / 2)


def dspo_loss(model_pred, reference_pred, target, beta):
    """DspoLoss, ScoreMatching variant: mean ||(eps_w - eps) - beta * g * (eps_w - eps_ref_w)||^2, g = sigmoid(-u)."""
    b = model_pred.shape[0] // 2
    g = torch.sigmoid(-margin(model_pred, reference_pred, target, beta))
    model_w = model_pred[:b].float()
    reference_w = reference_pred[:b].float().detach()
    target_w = target[:b].float()
    gap = model_w - reference_w
    g_wide = g.reshape(-1, *([1] * (gap.dim() - 1)))
    return ((model_w - target_w) - gap * g_wide * beta).square().mean()


def dpo_loss(model_pred, reference_pred, target, beta):
    """DiffusionDpoLoss: mean -logsigmoid(u)."""
    return -F.logsigmoid(margin(model_pred, reference_pred, target, beta)).mean()


LOSSES = {"dspo": dspo_loss, "dpo": dpo_loss}
DEFAULT_BETA = {"dspo": 0.001, "dpo": 2000.0}  # AlignConfig.DefaultsFor


# ---------------------------------------------------------------------------------------------
# Noise schedule (only to build x_t and the target the same way; its cost is negligible).
# ---------------------------------------------------------------------------------------------

def alphas_cumprod(scheduler):
    steps = int(scheduler.get("num_train_timesteps", 1000))
    kind = scheduler.get("beta_schedule", "squaredcos_cap_v2")
    start, end = float(scheduler.get("beta_start", 0.00085)), float(scheduler.get("beta_end", 0.012))
    if kind == "linear":
        betas = np.linspace(start, end, steps, dtype=np.float64)
    elif kind == "scaled_linear":
        betas = np.linspace(start ** 0.5, end ** 0.5, steps, dtype=np.float64) ** 2
    elif kind == "squaredcos_cap_v2":
        def alpha_bar(t):
            return math.cos((t + 0.008) / 1.008 * math.pi / 2) ** 2
        betas = np.array([min(1 - alpha_bar((i + 1) / steps) / alpha_bar(i / steps), 0.999) for i in range(steps)])
    else:
        raise SystemExit(f"beta_schedule {kind} is not implemented")
    return torch.tensor(np.cumprod(1.0 - betas), dtype=torch.float32)


# ---------------------------------------------------------------------------------------------
# safetensors, read with the standard library and numpy (the format DiffusionAlign's IO writes).
# ---------------------------------------------------------------------------------------------

SAFETENSORS_DTYPES = {"F32": np.float32, "F64": np.float64, "F16": np.float16, "I64": np.int64, "I32": np.int32,
                      "I16": np.int16, "I8": np.int8, "U8": np.uint8, "BOOL": np.bool_}


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (header_len,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + header_len].decode("utf-8"))
    base = 8 + header_len
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        dtype = entry["dtype"]
        if dtype == "BF16":
            raw = np.frombuffer(data, dtype=np.uint16, count=(entry["data_offsets"][1] - entry["data_offsets"][0]) // 2,
                                offset=base + entry["data_offsets"][0])
            array = (raw.astype(np.uint32) << 16).view(np.float32)
        else:
            np_dtype = np.dtype(SAFETENSORS_DTYPES[dtype]).newbyteorder("<")
            begin, end = entry["data_offsets"]
            array = np.frombuffer(data, dtype=np_dtype, count=(end - begin) // np_dtype.itemsize, offset=base + begin)
        tensors[name] = torch.from_numpy(array.copy().reshape(entry["shape"]))
    return tensors


def load_weights(model, path):
    weights = read_safetensors(path)
    if any(k.startswith("unet.") for k in weights):
        weights = {k[len("unet."):]: v for k, v in weights.items() if k.startswith("unet.")}
    missing, unexpected = model.load_state_dict(weights, strict=False)
    if missing or unexpected:
        raise SystemExit(f"weights do not match the network: missing {missing[:5]}, unexpected {unexpected[:5]}")


# ---------------------------------------------------------------------------------------------

def debian_package_version(package):
    """torch.__version__ of Debian's build reads 1.13.0a0; the package version is the precise one."""
    if shutil.which("dpkg-query") is None:
        return None
    try:
        out = subprocess.run(["dpkg-query", "-W", "-f=${Version}", package], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def machine_info(threads):
    blas = re.search(r"BLAS_INFO=([^,\s]+)", torch.__config__.show())
    blas_library = "?"
    try:  # which libblas.so.3 the dynamic loader picked (Debian's torch links the system BLAS)
        with open("/proc/self/maps", encoding="utf-8") as f:
            libs = sorted({line.split()[-1] for line in f if "blas" in line.lower() and "/" in line})
        blas_library = ", ".join(libs) or "?"
    except OSError:
        pass
    return {
        "torch_version": torch.__version__,
        "python_version": platform.python_version(),
        "numpy_version": np.__version__,
        "threads": torch.get_num_threads(),
        "requested_threads": threads,
        "debian_package": debian_package_version("python3-torch"),
        "blas": blas.group(1) if blas else "?",
        "blas_library": blas_library,
        "mkldnn": bool(torch.backends.mkldnn.is_available()),
        "attention": "matmul-softmax",
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
    }


def run_check(model, path):
    """Forward the stored inputs; compare with the stored outputs (and the stored loss values, if any)."""
    data = read_safetensors(path)
    result = {"mode": "check"}
    model.eval()
    with torch.no_grad():
        out = model(data["sample"], data["timestep"], data["encoder_hidden_states"])
    result["output_max_abs_diff"] = float((out - data["output"]).abs().max())
    result["output_max_abs"] = float(data["output"].abs().max())
    for method, fn in LOSSES.items():
        key = f"loss_{method}"
        if key in data:
            beta = float(data[f"beta_{method}"].reshape(-1)[0])
            ours = fn(data["loss_model_pred"], data["loss_reference_pred"], data["loss_target"], beta)
            result[f"{key}_peer"] = float(ours)
            result[f"{key}_dalign"] = float(data[key].reshape(-1)[0])
            result[f"{key}_abs_diff"] = abs(float(ours) - float(data[key].reshape(-1)[0]))
    return result


def time_steps(model, config, scheduler, args, beta):
    torch.manual_seed(args.seed)
    reference = UNet2DConditionModel(config)
    reference.load_state_dict(model.state_dict())
    for p in reference.parameters():
        p.requires_grad_(False)
    reference.eval()
    model.train()
    parameters = [p for p in model.parameters()]
    # foreach: PyTorch's multi-tensor AdamW, its counterpart of our FlatAdamW (the per-parameter loop is its
    # default in 1.13).
    optimizer = torch.optim.AdamW(parameters, lr=args.lr, betas=(0.9, 0.999), eps=1e-8,
                                  weight_decay=args.weight_decay, foreach=True)
    loss_fn = LOSSES[args.method]
    acp = alphas_cumprod(scheduler)
    v_prediction = scheduler.get("prediction_type", "epsilon") == "v_prediction"
    b, size = args.pairs, int(config.get("sample_size") or 32)
    cross_dim = args.cross_dim or per_block(config["cross_attention_dim"], 0)
    # Winners and losers: fixed images in [-1, 1] (the bench uses fixed clean-vs-flawed pairs too).
    x0 = torch.rand(2 * b, config["in_channels"], size, size) * 2 - 1

    times = dict(policy_forward=[], reference_forward=[], backward=[], optimizer=[], step=[])
    loss_value = float("nan")
    for step in range(args.warmup + args.steps):
        step_start = time.perf_counter()
        # PreferenceStep.NoisyPairs: same t and noise for both halves of a pair. The text encoder is frozen and
        # not what is compared, so the prompt states are random [2B, L, cross_dim] (repeated halves).
        t = torch.randint(0, acp.shape[0], (b,))
        noise = torch.randn(b, *x0.shape[1:])
        t2, noise2 = torch.cat([t, t]), torch.cat([noise, noise])
        a = acp[t2].reshape(-1, 1, 1, 1)
        noisy = a.sqrt() * x0 + (1 - a).sqrt() * noise2
        target = a.sqrt() * noise2 - (1 - a).sqrt() * x0 if v_prediction else noise2
        states = torch.randn(b, args.text_tokens, cross_dim)
        text = torch.cat([states, states])

        # Reference first under inference mode, as PreferenceStep.Run does.
        c = time.perf_counter()
        with torch.inference_mode():
            reference_prediction = reference(noisy, t2, text)
        reference_prediction = reference_prediction.clone()
        r = time.perf_counter() - c
        c = time.perf_counter()
        prediction = model(noisy, t2, text)
        f = time.perf_counter() - c
        c = time.perf_counter()
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(prediction, reference_prediction, target, beta)
        loss.backward()
        bw = time.perf_counter() - c
        c = time.perf_counter()
        torch.nn.utils.clip_grad_norm_(parameters, 1.0)
        optimizer.step()
        o = time.perf_counter() - c
        total = time.perf_counter() - step_start
        if step >= args.warmup:
            for key, value in zip(("policy_forward", "reference_forward", "backward", "optimizer", "step"),
                                  (f, r, bw, o, total)):
                times[key].append(value)
        loss_value = float(loss.detach())
        log(f"{args.method} step {step}{' (warm-up)' if step < args.warmup else ''}: "
            f"{total:.3f} s, loss {loss_value:.6g}")

    # Medians, as TrainingStepBenchmark reports: one preempted step can double a mean on 2 cores.
    med = {key: statistics.median(values) for key, values in times.items()}
    step_seconds = med["step"]
    parts = med["policy_forward"] + med["reference_forward"] + med["backward"] + med["optimizer"]
    return {
        "step_seconds": step_seconds,
        "pairs_per_second": b / step_seconds,
        "policy_forward_seconds": med["policy_forward"],
        "reference_forward_seconds": med["reference_forward"],
        "backward_seconds": med["backward"],
        "optimizer_seconds": med["optimizer"],
        "other_seconds": max(0.0, step_seconds - parts),
        "reference_share": med["reference_forward"] / step_seconds,
        "final_loss": loss_value,
        "beta": beta,
        "text_tokens": args.text_tokens,
        "cross_dim": cross_dim,
        "image_size": size,
    }


def main(args):
    if args.pairs < 1 or args.steps < 1 or args.warmup < 0 or args.threads < 1 or args.text_tokens < 1:
        raise SystemExit("--pairs, --steps, --threads and --text-tokens must be positive, --warmup non-negative")
    if args.check and not args.weights:
        raise SystemExit("--check needs --weights")
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    config, scheduler = load_config(args.config)
    model = UNet2DConditionModel(config)
    if args.weights:
        load_weights(model, args.weights)
    result = machine_info(args.threads)
    result["parameters"] = sum(p.numel() for p in model.parameters())
    if args.check:
        result.update(run_check(model, args.check))
    else:
        beta = args.beta if args.beta is not None else DEFAULT_BETA[args.method]
        result.update({"mode": "time", "method": args.method, "pairs_per_step": args.pairs, "timed_steps": args.steps,
                       "warmup_steps": args.warmup, "weight_decay": args.weight_decay})
        result.update(time_steps(model, config, scheduler, args, beta))
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main(ARGS)

"""Reference numbers for ReferenceOutputTests.cs, computed once with PyTorch (Debian's python3-torch).

Not part of the build or the test run: the tests only hold the constants this script prints.
Re-run by hand with `/usr/bin/python3 reference_models.py` after `apt-get install python3-torch`.

The modules below follow diffusers' UNet2DConditionModel (unet_2d_condition.py, unet_2d_blocks.py,
resnet.py, transformer_2d.py, attention.py, attention_processor.py, embeddings.py) and transformers'
CLIPTextModel (modeling_clip.py) with their attribute names, written in plain PyTorch because
diffusers is not packaged for Debian. Everything runs in float64; weights and inputs come from a
closed-form formula over the parameters sorted by name, so the C# side can rebuild them exactly.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)


# ---------------------------------------------------------------- diffusers UNet pieces

def timestep_embedding(timesteps, dim, flip_sin_to_cos, downscale_freq_shift, max_period=10000):
    # float32 on purpose, as diffusers' get_timestep_embedding (the UNet casts it to its own dtype).
    half = dim // 2
    exponent = -math.log(max_period) * torch.arange(0, half, dtype=torch.float32)
    exponent = exponent / (half - downscale_freq_shift)
    emb = timesteps[:, None].float() * torch.exp(exponent)[None, :]
    emb = torch.cat([torch.sin(emb), torch.cos(emb)], dim=-1)
    if flip_sin_to_cos:
        emb = torch.cat([emb[:, half:], emb[:, :half]], dim=-1)
    return emb.double()


class TimestepEmbedding(nn.Module):
    def __init__(self, in_channels, time_embed_dim):
        super().__init__()
        self.linear_1 = nn.Linear(in_channels, time_embed_dim)
        self.linear_2 = nn.Linear(time_embed_dim, time_embed_dim)

    def forward(self, x):
        return self.linear_2(F.silu(self.linear_1(x)))


class ResnetBlock2D(nn.Module):
    def __init__(self, in_channels, out_channels, temb_channels, groups, eps):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, in_channels, eps=eps)
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, padding=1)
        self.time_emb_proj = nn.Linear(temb_channels, out_channels)
        self.norm2 = nn.GroupNorm(groups, out_channels, eps=eps)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1)
        self.conv_shortcut = nn.Conv2d(in_channels, out_channels, 1) if in_channels != out_channels else None

    def forward(self, x, temb):
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.time_emb_proj(F.silu(temb))[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        if self.conv_shortcut is not None:
            x = self.conv_shortcut(x)
        return x + h


class Attention(nn.Module):
    def __init__(self, query_dim, cross_attention_dim, heads, dim_head):
        super().__init__()
        inner = heads * dim_head
        self.heads = heads
        self.to_q = nn.Linear(query_dim, inner, bias=False)
        self.to_k = nn.Linear(cross_attention_dim or query_dim, inner, bias=False)
        self.to_v = nn.Linear(cross_attention_dim or query_dim, inner, bias=False)
        self.to_out = nn.ModuleList([nn.Linear(inner, query_dim), nn.Dropout(0.0)])

    def forward(self, x, context=None):
        context = x if context is None else context
        b = x.shape[0]
        q, k, v = self.to_q(x), self.to_k(context), self.to_v(context)
        d = q.shape[-1] // self.heads
        q, k, v = (t.view(b, -1, self.heads, d).transpose(1, 2) for t in (q, k, v))
        weights = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d), dim=-1)
        out = (weights @ v).transpose(1, 2).reshape(b, -1, self.heads * d)
        return self.to_out[1](self.to_out[0](out))


class GEGLU(nn.Module):
    def __init__(self, dim_in, dim_out):
        super().__init__()
        self.proj = nn.Linear(dim_in, dim_out * 2)

    def forward(self, x):
        h, gate = self.proj(x).chunk(2, dim=-1)
        return h * F.gelu(gate)


class FeedForward(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.net = nn.ModuleList([GEGLU(dim, 4 * dim), nn.Dropout(0.0), nn.Linear(4 * dim, dim)])

    def forward(self, x):
        for m in self.net:
            x = m(x)
        return x


class BasicTransformerBlock(nn.Module):
    def __init__(self, dim, heads, dim_head, cross_attention_dim):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn1 = Attention(dim, None, heads, dim_head)
        self.norm2 = nn.LayerNorm(dim)
        self.attn2 = Attention(dim, cross_attention_dim, heads, dim_head)
        self.norm3 = nn.LayerNorm(dim)
        self.ff = FeedForward(dim)

    def forward(self, x, context):
        x = self.attn1(self.norm1(x)) + x
        x = self.attn2(self.norm2(x), context) + x
        return self.ff(self.norm3(x)) + x


class Transformer2DModel(nn.Module):
    def __init__(self, heads, dim_head, in_channels, cross_attention_dim, groups, use_linear_projection, layers=1):
        super().__init__()
        inner = heads * dim_head
        self.use_linear_projection = use_linear_projection
        self.norm = nn.GroupNorm(groups, in_channels, eps=1e-6)
        self.proj_in = nn.Linear(in_channels, inner) if use_linear_projection else nn.Conv2d(in_channels, inner, 1)
        self.transformer_blocks = nn.ModuleList(
            [BasicTransformerBlock(inner, heads, dim_head, cross_attention_dim) for _ in range(layers)])
        self.proj_out = nn.Linear(inner, in_channels) if use_linear_projection else nn.Conv2d(inner, in_channels, 1)

    def forward(self, x, context):
        b, _, hgt, wid = x.shape
        residual = x
        h = self.norm(x)
        if not self.use_linear_projection:
            h = self.proj_in(h)
            inner = h.shape[1]
            h = h.permute(0, 2, 3, 1).reshape(b, hgt * wid, inner)
        else:
            inner = h.shape[1]
            h = self.proj_in(h.permute(0, 2, 3, 1).reshape(b, hgt * wid, inner))
        for block in self.transformer_blocks:
            h = block(h, context)
        if not self.use_linear_projection:
            h = self.proj_out(h.reshape(b, hgt, wid, inner).permute(0, 3, 1, 2))
        else:
            h = self.proj_out(h).reshape(b, hgt, wid, inner).permute(0, 3, 1, 2)
        return h + residual


class Downsample2D(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, stride=2, padding=1)

    def forward(self, x):
        return self.conv(x)


class Upsample2D(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x, size):
        x = (F.interpolate(x, scale_factor=2.0, mode="nearest") if size is None
             else F.interpolate(x, size=size, mode="nearest"))
        return self.conv(x)


class DownBlock(nn.Module):
    def __init__(self, cfg, cross, in_ch, out_ch, add_downsample):
        super().__init__()
        temb, groups, eps, layers = cfg["temb"], cfg["groups"], cfg["eps"], cfg["layers"]
        self.has_cross = cross
        self.resnets = nn.ModuleList(
            [ResnetBlock2D(in_ch if i == 0 else out_ch, out_ch, temb, groups, eps) for i in range(layers)])
        if cross:
            self.attentions = nn.ModuleList(
                [Transformer2DModel(cfg["heads"], out_ch // cfg["heads"], out_ch, cfg["cross"], groups, cfg["linear"])
                 for _ in range(layers)])
        self.downsamplers = nn.ModuleList([Downsample2D(out_ch)]) if add_downsample else None

    def forward(self, h, temb, context):
        states = []
        for i, resnet in enumerate(self.resnets):
            h = resnet(h, temb)
            if self.has_cross:
                h = self.attentions[i](h, context)
            states.append(h)
        if self.downsamplers is not None:
            h = self.downsamplers[0](h)
            states.append(h)
        return h, states


class UpBlock(nn.Module):
    def __init__(self, cfg, cross, in_ch, prev_ch, out_ch, add_upsample):
        super().__init__()
        temb, groups, eps, layers = cfg["temb"], cfg["groups"], cfg["eps"], cfg["layers"] + 1
        self.has_cross = cross
        resnets = []
        for i in range(layers):
            skip = in_ch if i == layers - 1 else out_ch
            res_in = prev_ch if i == 0 else out_ch
            resnets.append(ResnetBlock2D(res_in + skip, out_ch, temb, groups, eps))
        self.resnets = nn.ModuleList(resnets)
        if cross:
            self.attentions = nn.ModuleList(
                [Transformer2DModel(cfg["heads"], out_ch // cfg["heads"], out_ch, cfg["cross"], groups, cfg["linear"])
                 for _ in range(layers)])
        self.upsamplers = nn.ModuleList([Upsample2D(out_ch)]) if add_upsample else None

    def forward(self, h, skips, temb, context, size):
        for i, resnet in enumerate(self.resnets):
            h = torch.cat([h, skips.pop()], dim=1)
            h = resnet(h, temb)
            if self.has_cross:
                h = self.attentions[i](h, context)
        if self.upsamplers is not None:
            h = self.upsamplers[0](h, size)
        return h


class MidBlock(nn.Module):
    def __init__(self, cfg, ch):
        super().__init__()
        self.resnets = nn.ModuleList([ResnetBlock2D(ch, ch, cfg["temb"], cfg["groups"], cfg["eps"]) for _ in range(2)])
        self.attentions = nn.ModuleList(
            [Transformer2DModel(cfg["heads"], ch // cfg["heads"], ch, cfg["cross"], cfg["groups"], cfg["linear"])])

    def forward(self, h, temb, context):
        h = self.resnets[0](h, temb)
        h = self.attentions[0](h, context)
        return self.resnets[1](h, temb)


class UNet2DConditionModel(nn.Module):
    def __init__(self, in_ch, out_ch, channels, down_types, up_types, layers, heads, cross, groups, eps, linear):
        super().__init__()
        cfg = dict(temb=channels[0] * 4, groups=groups, eps=eps, layers=layers, heads=heads, cross=cross, linear=linear)
        self.channels = channels
        self.conv_in = nn.Conv2d(in_ch, channels[0], 3, padding=1)
        self.time_embedding = TimestepEmbedding(channels[0], channels[0] * 4)
        n = len(channels)
        self.down_blocks = nn.ModuleList(
            [DownBlock(cfg, t == "CrossAttnDownBlock2D", channels[max(i - 1, 0)], channels[i], i < n - 1)
             for i, t in enumerate(down_types)])
        rev = list(reversed(channels))
        ups, out = [], rev[0]
        for i, t in enumerate(up_types):
            prev, out = out, rev[i]
            ups.append(UpBlock(cfg, t == "CrossAttnUpBlock2D", rev[min(i + 1, n - 1)], prev, out, i < n - 1))
        self.up_blocks = nn.ModuleList(ups)
        self.mid_block = MidBlock(cfg, channels[-1])
        self.conv_norm_out = nn.GroupNorm(groups, channels[0], eps=eps)
        self.conv_out = nn.Conv2d(channels[0], out_ch, 3, padding=1)

    def forward(self, sample, timesteps, context):
        emb = self.time_embedding(timestep_embedding(timesteps, self.channels[0], True, 0))
        h = self.conv_in(sample)
        skips = [h]
        for block in self.down_blocks:
            h, states = block(h, emb, context)
            skips += states
        h = self.mid_block(h, emb, context)
        for i, block in enumerate(self.up_blocks):
            mine = skips[-len(block.resnets):]
            skips = skips[:-len(block.resnets)]
            size = skips[-1].shape[2:] if i < len(self.up_blocks) - 1 else None
            h = block(h, mine, emb, context, size)
        return self.conv_out(F.silu(self.conv_norm_out(h)))


# ---------------------------------------------------------------- transformers CLIP text pieces

class CLIPAttention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.k_proj = nn.Linear(dim, dim)
        self.v_proj = nn.Linear(dim, dim)
        self.q_proj = nn.Linear(dim, dim)
        self.out_proj = nn.Linear(dim, dim)

    def forward(self, x):
        b, n, dim = x.shape
        d = dim // self.heads
        q = (self.q_proj(x) * d ** -0.5).view(b, n, self.heads, d).transpose(1, 2)
        k = self.k_proj(x).view(b, n, self.heads, d).transpose(1, 2)
        v = self.v_proj(x).view(b, n, self.heads, d).transpose(1, 2)
        mask = torch.full((n, n), float("-inf")).triu(1)
        weights = torch.softmax(q @ k.transpose(-1, -2) + mask, dim=-1)
        return self.out_proj((weights @ v).transpose(1, 2).reshape(b, n, dim))


class CLIPMLP(nn.Module):
    def __init__(self, dim, inner):
        super().__init__()
        self.fc1 = nn.Linear(dim, inner)
        self.fc2 = nn.Linear(inner, dim)

    def forward(self, x):
        h = self.fc1(x)
        return self.fc2(h * torch.sigmoid(1.702 * h))


class CLIPEncoderLayer(nn.Module):
    def __init__(self, dim, heads, inner):
        super().__init__()
        self.self_attn = CLIPAttention(dim, heads)
        self.layer_norm1 = nn.LayerNorm(dim)
        self.mlp = CLIPMLP(dim, inner)
        self.layer_norm2 = nn.LayerNorm(dim)

    def forward(self, x):
        x = x + self.self_attn(self.layer_norm1(x))
        return x + self.mlp(self.layer_norm2(x))


class Holder(nn.Module):
    pass


class CLIPTextModel(nn.Module):
    def __init__(self, vocab, dim, inner, layers, heads, positions):
        super().__init__()
        self.text_model = Holder()
        self.text_model.embeddings = Holder()
        self.text_model.embeddings.token_embedding = nn.Embedding(vocab, dim)
        self.text_model.embeddings.position_embedding = nn.Embedding(positions, dim)
        self.text_model.encoder = Holder()
        self.text_model.encoder.layers = nn.ModuleList([CLIPEncoderLayer(dim, heads, inner) for _ in range(layers)])
        self.text_model.final_layer_norm = nn.LayerNorm(dim)

    def forward(self, ids):
        tm = self.text_model
        x = tm.embeddings.token_embedding(ids) + tm.embeddings.position_embedding(torch.arange(ids.shape[1])[None])
        for layer in tm.encoder.layers:
            x = layer(x)
        return tm.final_layer_norm(x)


# ---------------------------------------------------------------- shared deterministic fill

def fill(model):
    """Parameter k (names sorted ordinally) gets value[i] = 0.2·sin(0.7·i + 1.3·k + 0.1)."""
    with torch.no_grad():
        for k, name in enumerate(sorted(dict(model.named_parameters()).keys())):
            p = dict(model.named_parameters())[name]
            i = torch.arange(p.numel(), dtype=torch.float64)
            p.copy_((0.2 * torch.sin(0.7 * i + 1.3 * k + 0.1)).reshape(p.shape))


def wave(shape, a, b):
    n = math.prod(shape)
    return torch.sin(a * torch.arange(n, dtype=torch.float64) + b).reshape(shape)


def report(label, out, picks):
    flat = out.flatten()
    print(f"{label}: shape {list(out.shape)} sum {flat.sum().item():.10g} sumsq {(flat ** 2).sum().item():.10g}")
    print(f"{label}: picks {picks} -> " + ", ".join(f"{flat[i].item():.10g}" for i in picks))


if __name__ == "__main__":
    unet = UNet2DConditionModel(3, 3, [8, 16, 16], ["DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"],
                                ["CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"], layers=1, heads=2, cross=12,
                                groups=4, eps=1e-5, linear=False)
    fill(unet)
    print("unet parameters", sum(p.numel() for p in unet.parameters()), "tensors", len(unet.state_dict()))
    sample = wave((2, 3, 10, 6), 0.31, 0.0)
    context = wave((2, 5, 12), 0.17, 0.5)
    out = unet(sample, torch.tensor([3, 700]), context)
    report("unet", out, [0, 37, 101, 202, 359])

    clip = CLIPTextModel(vocab=20, dim=16, inner=64, layers=2, heads=4, positions=8)
    fill(clip)
    print("clip parameters", sum(p.numel() for p in clip.parameters()), "tensors", len(clip.state_dict()))
    ids = torch.tensor([[1, 5, 19, 0, 7, 3], [2, 2, 8, 13, 4, 11]])
    out = clip(ids)
    report("clip", out, [0, 17, 50, 99, 150, 191])

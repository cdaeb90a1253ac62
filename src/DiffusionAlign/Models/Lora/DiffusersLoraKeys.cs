namespace DiffusionAlign.Models.Lora;

/// <summary>
/// The key layout of diffusers' LoRA files (<c>pytorch_lora_weights.safetensors</c>), as its training scripts
/// write them: <c>convert_state_dict_to_diffusers(get_peft_model_state_dict(model))</c> then
/// <c>save_lora_weights</c>, which prefixes <c>unet.</c> / <c>text_encoder.</c>. The conversion
/// (<c>PEFT_TO_DIFFUSERS</c> in diffusers/utils/state_dict_utils.py) renames peft's
/// <c>to_q.lora_A</c> / <c>lora_B</c> to <c>to_q.lora.down</c> / <c>up</c> for the UNet and
/// <c>q_proj.lora_A</c> to <c>q_proj.lora_linear_layer.down</c> for the text encoder:
/// <code>
/// unet.down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_out.0.lora.up.weight
/// text_encoder.text_model.encoder.layers.0.self_attn.q_proj.lora_linear_layer.down.weight
/// </code>
/// <c>load_lora_weights</c> also reads peft's own layout (<c>…to_q.lora_A.weight</c>), so both are read here.
/// </summary>
internal static class DiffusersLoraKeys
{
    public enum Part { Down, Up }

    // Suffix after the projection's path → which weight. peft's lora_A is A (down), lora_B is B (up).
    private static readonly (string Suffix, Part Part)[] Suffixes =
    [
        (".lora.down.weight", Part.Down),
        (".lora.up.weight", Part.Up),
        (".lora_linear_layer.down.weight", Part.Down),
        (".lora_linear_layer.up.weight", Part.Up),
        (".lora_A.weight", Part.Down),
        (".lora_B.weight", Part.Up),
    ];

    /// <summary>
    /// The diffusers key of one weight of the adapter on <paramref name="projectionPath"/> (a path from the
    /// component's root, e.g. <c>down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q</c>).
    /// </summary>
    public static string Key(string prefix, string projectionPath, bool textEncoder, Part part)
    {
        string layer = textEncoder ? "lora_linear_layer" : "lora";
        string weight = part == Part.Down ? "down" : "up";
        return $"{Join(prefix, projectionPath)}.{layer}.{weight}.weight";
    }

    /// <summary>The projection path and weight a key names, in any of the layouts above; false if none.</summary>
    public static bool TryParse(string keyWithoutPrefix, out string projectionPath, out Part part)
    {
        foreach (var (suffix, p) in Suffixes)
        {
            if (keyWithoutPrefix.EndsWith(suffix, StringComparison.Ordinal)
                && keyWithoutPrefix.Length > suffix.Length)
            {
                projectionPath = keyWithoutPrefix[..^suffix.Length];
                part = p;
                return true;
            }
        }
        projectionPath = "";
        part = default;
        return false;
    }

    public static string Join(string prefix, string path) =>
        prefix.Length == 0 ? path : path.Length == 0 ? prefix : $"{prefix}.{path}";
}

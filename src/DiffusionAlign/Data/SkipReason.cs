namespace DiffusionAlign.Data;

/// <summary>The reasons a loader skips a row, as they appear in <see cref="LoadReport.SkipReasons"/>.</summary>
public static class SkipReason
{
    /// <summary>A jsonl line that is not a JSON object.</summary>
    public const string MalformedLine = "malformed line";

    /// <summary>A required field (prompt/caption, images, labels) is absent, null or of the wrong type.</summary>
    public const string MissingField = "missing field";

    /// <summary>An image path that does not exist.</summary>
    public const string MissingFile = "missing file";

    /// <summary>Image bytes that do not decode as PNG/JPEG/BMP.</summary>
    public const string UndecodableImage = "undecodable image";

    /// <summary>
    /// A label outside what the format allows (Pick-a-Pic: {0, 0.5, 1} summing to 1;
    /// jsonl: p_winner in [0, 1]).
    /// </summary>
    public const string BadLabel = "bad label";

    /// <summary>Without resizing, an image whose size differs from the first pair's (a batch needs one size).</summary>
    public const string SizeMismatch = "size mismatch";

    /// <summary>A prompt with a word outside the model's vocabulary (a tokenizer that cannot encode it).</summary>
    public const string UnknownWord = "unknown word";

    /// <summary>A prompt with more words than the model's tokenizer holds.</summary>
    public const string PromptTooLong = "prompt too long";
}

using DiffusionAlign.Imaging;
using DiffusionAlign.Training.Logging;
using Tensorboard;

namespace DiffusionAlign.Tests.Training.Logging;

/// <summary>
/// A log folder's event files read back (framing and checksums checked by <see cref="TensorBoardEventFile"/>), as
/// the values TensorBoard would show: scalars by tag and step, images decoded from their PNG bytes.
/// </summary>
public sealed class EventLog
{
    public EventLog(string dir)
    {
        Files = TensorBoardEventFile.In(dir);
        foreach (var e in Files.SelectMany(TensorBoardEventFile.Read))
        {
            if (e.WhatCase == Event.WhatOneofCase.FileVersion) Versions.Add(e.FileVersion);
            if (e.Summary is null) continue;
            foreach (var v in e.Summary.Value)
            {
                switch (v.ValueCase)
                {
                    case Summary.Types.Value.ValueOneofCase.SimpleValue:
                        Scalars.Add((v.Tag, e.Step, v.SimpleValue));
                        break;
                    case Summary.Types.Value.ValueOneofCase.Image:
                        Images.Add((v.Tag, e.Step, v.Image));
                        break;
                }
            }
        }
    }

    private static readonly byte[] PngSignature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    public IReadOnlyList<string> Files { get; }

    public List<string> Versions { get; } = [];

    public List<(string Tag, long Step, float Value)> Scalars { get; } = [];

    public List<(string Tag, long Step, Summary.Types.Image Image)> Images { get; } = [];

    /// <summary>The steps a scalar tag was logged at, in file order (a step twice shows up twice).</summary>
    public List<long> StepsOf(string tag) => [.. Scalars.Where(s => s.Tag == tag).Select(s => s.Step)];

    public float ValueAt(string tag, long step) => Scalars.Single(s => s.Tag == tag && s.Step == step).Value;

    /// <summary>The image logged under <paramref name="tag"/> at <paramref name="step"/>, decoded from PNG.</summary>
    public RgbImage ImageAt(string tag, long step)
    {
        var image = Images.Single(i => i.Tag == tag && i.Step == step).Image;
        byte[] bytes = image.EncodedImageString.ToByteArray();
        Assert.True(bytes.AsSpan().StartsWith(PngSignature), "the image is not PNG-encoded");
        var decoded = ImageCodec.Decode(bytes, "logged image");
        Assert.Equal((image.Width, image.Height), (decoded.Width, decoded.Height));
        return decoded;
    }
}

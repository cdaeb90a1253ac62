using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using DiffusionAlign.Imaging;
using DiffusionAlign.IO;
using DiffusionAlign.Pipelines;
using static TorchSharp.torch;

namespace DiffusionAlign.Data;

/// <summary>
/// Preference pairs encoded once by a latent model's VAE, kept on disk and read back per batch, so training
/// never runs the encoder and a dataset of any size never has to fit in memory. For each pair it stores the
/// VAE's distribution (mean and log-variance) of winner and loser, for the image as given and, when the cache
/// is made for random flips, mirrored; training draws its latents from these exactly as it draws them from
/// images encoded on the fly (same seed, same latents). Layout of the folder:
/// <list type="bullet">
/// <item><c>cache.json</c>: pair count, latent shape, resolution, flips, the VAE's fingerprint;</item>
/// <item><c>prompts.jsonl</c>: one JSON string per pair;</item>
/// <item><c>moments.f32</c>: per pair, per orientation, winner then loser, mean then log-variance, as
/// little-endian float32 — fixed-size records, so pair i is one seek away. A plain file rather than
/// safetensors: one tensor per pair would make the header as large as the data.</item>
/// </list>
/// </summary>
public sealed class LatentPairCache : IDisposable
{
    public const string InfoFileName = "cache.json";
    public const string PromptsFileName = "prompts.jsonl";
    public const string MomentsFileName = "moments.f32";
    public const string CurrentFormat = "dalign-latent-cache-v1";

    /// <summary>What <c>cache.json</c> records.</summary>
    public sealed record CacheInfo
    {
        [JsonPropertyName("format")] public string Format { get; init; } = CurrentFormat;
        [JsonPropertyName("pairs")] public int Pairs { get; init; }
        [JsonPropertyName("latent_shape")] public long[] LatentShape { get; init; } = [];
        [JsonPropertyName("resolution")] public int Resolution { get; init; }
        [JsonPropertyName("flips")] public bool Flips { get; init; }
        [JsonPropertyName("vae_sha256")] public string VaeSha256 { get; init; } = "";
        [JsonPropertyName("source")] public string Source { get; init; } = "";
    }

    private readonly string[] _prompts;
    private readonly Microsoft.Win32.SafeHandles.SafeFileHandle _moments;
    private readonly long _latentElements;

    private LatentPairCache(string dir, CacheInfo info, string[] prompts)
    {
        Folder = dir;
        Info = info;
        _prompts = prompts;
        _latentElements = info.LatentShape.Aggregate(1L, (a, b) => a * b);
        _moments = File.OpenHandle(Path.Combine(dir, MomentsFileName), FileMode.Open, FileAccess.Read,
            FileShare.Read, FileOptions.RandomAccess);
        long expected = (long)info.Pairs * RecordFloats * sizeof(float);
        long length = RandomAccess.GetLength(_moments);
        if (length != expected)
        {
            _moments.Dispose();
            throw new DiffusionAlignException(
                $"{Path.Combine(dir, MomentsFileName)} has {length} bytes, the cache describes {expected}: "
                + "the cache is incomplete or damaged; make it again");
        }
    }

    public string Folder { get; }

    public CacheInfo Info { get; }

    public int Count => Info.Pairs;

    public string Prompt(int index) => _prompts[index];

    private int Orientations => Info.Flips ? 2 : 1;

    // Per orientation: winner and loser, each a mean and a log-variance.
    private long RecordFloats => Orientations * 4 * _latentElements;

    public static bool IsCache(string path) => File.Exists(Path.Combine(path, InfoFileName));

    /// <exception cref="DiffusionAlignException">Not a cache, or a damaged one.</exception>
    public static LatentPairCache Open(string dir)
    {
        string infoPath = Path.Combine(dir, InfoFileName);
        if (!File.Exists(infoPath))
            throw new DiffusionAlignException($"{dir} is not a latent cache: no {InfoFileName}");
        CacheInfo info;
        try
        {
            info = JsonSerializer.Deserialize<CacheInfo>(File.ReadAllText(infoPath))
                ?? throw new DiffusionAlignException($"{infoPath} is empty");
        }
        catch (JsonException e)
        {
            throw new DiffusionAlignException($"{infoPath} is not a latent cache description: {e.Message}");
        }
        if (info.Format != CurrentFormat)
            throw new DiffusionAlignException($"{infoPath} has format '{info.Format}', expected '{CurrentFormat}'");
        var prompts = File.ReadLines(Path.Combine(dir, PromptsFileName))
            .Select(line => JsonSerializer.Deserialize<string>(line) ?? "").ToArray();
        if (prompts.Length != info.Pairs)
            throw new DiffusionAlignException(
                $"{dir}: {prompts.Length} prompts for {info.Pairs} pairs; the cache is incomplete; make it again");
        return new LatentPairCache(dir, info, prompts);
    }

    /// <summary>
    /// Encodes <paramref name="pairs"/> (streamed: <paramref name="batchPairs"/> at a time in memory) with
    /// <paramref name="model"/>'s VAE at <paramref name="resolution"/> into <paramref name="dir"/>. The folder's
    /// files appear only once complete. Returns the cache's description.
    /// </summary>
    public static CacheInfo Write(string dir, TextToImageModel model, IEnumerable<PreferencePair> pairs,
        int resolution, bool flips, string source, int batchPairs = 8, IProgress<int>? progress = null)
    {
        if (!model.IsLatent) throw new DiffusionAlignException("only a latent (Stable Diffusion) model has latents");
        long[] shape = model.SampleShape(resolution, resolution);
        Directory.CreateDirectory(dir);
        string momentsTmp = Path.Combine(dir, MomentsFileName + ".tmp");
        string promptsTmp = Path.Combine(dir, PromptsFileName + ".tmp");
        int count = 0;
        using (var moments = new FileStream(momentsTmp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
        using (var promptsFile = new FileStream(promptsTmp, FileMode.Create, FileAccess.Write, FileShare.None))
        using (var prompts = new StreamWriter(promptsFile))
        {
            foreach (var chunk in pairs.Chunk(batchPairs))
            {
                WriteBatch(moments, model, chunk, flips);
                foreach (var pair in chunk) prompts.WriteLine(JsonSerializer.Serialize(pair.Prompt));
                count += chunk.Length;
                progress?.Report(count);
            }
            moments.Flush(flushToDisk: true);
            // Both files must be on disk before their renames make the cache look complete.
            prompts.Flush();
            promptsFile.Flush(flushToDisk: true);
        }
        if (count == 0) throw new DiffusionAlignException($"no pairs to cache from {source}");
        File.Move(momentsTmp, Path.Combine(dir, MomentsFileName), overwrite: true);
        File.Move(promptsTmp, Path.Combine(dir, PromptsFileName), overwrite: true);
        DirectorySync.Flush(dir);
        var info = new CacheInfo
        {
            Pairs = count, LatentShape = shape, Resolution = resolution, Flips = flips,
            VaeSha256 = VaeFingerprint(model), Source = source,
        };
        AtomicFile.Write(Path.Combine(dir, InfoFileName),
            stream => JsonSerializer.Serialize(stream, info, TextToImageModel.JsonOptions));
        return info;
    }

    private static void WriteBatch(Stream output, TextToImageModel model, PreferencePair[] chunk, bool flips)
    {
        using var scope = NewDisposeScope();
        int b = chunk.Length;
        var orientations = new List<(Tensor Mean, Tensor LogVar)>();
        foreach (bool flipped in flips ? new[] { false, true } : new[] { false })
        {
            var images = chunk.Select(p => flipped ? p.Winner.Mirrored() : p.Winner)
                .Concat(chunk.Select(p => flipped ? p.Loser.Mirrored() : p.Loser)).ToList();
            orientations.Add(model.LatentMoments(ImageTensors.ToTensor(images)));
        }
        for (int i = 0; i < b; i++)
            foreach (var (mean, logVar) in orientations)
                foreach (int row in new[] { i, b + i })
                {
                    WriteFloats(output, mean[row]);
                    WriteFloats(output, logVar[row]);
                }
    }

    /// <summary>
    /// The latent distributions of the pairs at <paramref name="indices"/>, mirrored where
    /// <paramref name="flips"/> says: mean and log-variance <c>[2B, C, h, w]</c>, winners then losers.
    /// </summary>
    public (Tensor Mean, Tensor LogVar) Moments(IReadOnlyList<int> indices, IReadOnlyList<bool> flips, Device device)
    {
        if (flips.Any(f => f) && !Info.Flips)
            throw new DiffusionAlignException(
                $"the latent cache {Folder} was made without flips; make it with --random-flip to train with them");
        int b = indices.Count;
        var mean = new float[2 * b * _latentElements];
        var logVar = new float[2 * b * _latentElements];
        var record = new byte[4 * _latentElements * sizeof(float)];
        for (int i = 0; i < b; i++)
        {
            long offset = ((long)indices[i] * RecordFloats + (flips[i] ? 4 * _latentElements : 0)) * sizeof(float);
            if (RandomAccess.Read(_moments, record, offset) != record.Length)
                throw new DiffusionAlignException($"{Folder}: pair {indices[i]} is cut short");
            // Record order: winner mean, winner log-variance, loser mean, loser log-variance.
            Copy(record, 0, mean, i);
            Copy(record, 1, logVar, i);
            Copy(record, 2, mean, b + i);
            Copy(record, 3, logVar, b + i);
        }
        long[] shape = [2 * b, .. Info.LatentShape];
        return (tensor(mean, shape).to(device), tensor(logVar, shape).to(device));
    }

    /// <exception cref="DiffusionAlignException">The cache was made with another VAE or at another size.</exception>
    public void CheckFits(TextToImageModel model)
    {
        if (!model.IsLatent) throw new DiffusionAlignException($"{Folder} holds latents; the model is a pixel model");
        if (!model.SampleShape(Info.Resolution, Info.Resolution).SequenceEqual(Info.LatentShape))
            throw new DiffusionAlignException(
                $"{Folder} holds latents of shape [{string.Join(", ", Info.LatentShape)}], which the model's VAE "
                + "does not make");
        if (VaeFingerprint(model) != Info.VaeSha256)
            throw new DiffusionAlignException(
                $"{Folder} was made with another VAE than the model's; make the cache with this model");
    }

    /// <summary>SHA-256 of the VAE's weights as float32, names in order: which VAE made a cache.</summary>
    public static string VaeFingerprint(TextToImageModel model)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var scope = NewDisposeScope();
        foreach (var (name, weight) in model.Vae!.state_dict().OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            sha.AppendData(System.Text.Encoding.UTF8.GetBytes(name));
            var values = weight.detach().to_type(ScalarType.Float32).cpu().contiguous().data<float>().ToArray();
            sha.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
        }
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    private void Copy(byte[] record, int part, float[] target, int row)
    {
        var source = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(record.AsSpan())
            .Slice((int)(part * _latentElements), (int)_latentElements);
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("the cache is little-endian");
        source.CopyTo(target.AsSpan((int)(row * _latentElements), (int)_latentElements));
    }

    private static void WriteFloats(Stream output, Tensor values)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("the cache is little-endian");
        var floats = values.to_type(ScalarType.Float32).cpu().contiguous().data<float>().ToArray();
        output.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(floats.AsSpan()));
    }

    public void Dispose() => _moments.Dispose();
}

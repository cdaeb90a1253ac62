using DiffusionAlign.Imaging;
using Parquet;
using Parquet.Meta.Proto;
using Parquet.Schema;

namespace DiffusionAlign.Data;

/// <summary>
/// Reads Pick-a-Pic v2-style parquet files (the Diffusion-DPO training data): per row a
/// <c>caption</c>, two encoded images <c>jpg_0</c>, <c>jpg_1</c> and labels <c>label_0</c>, <c>label_1</c>
/// (1 for the preferred image, 0.5 each for a tie). Ties are dropped, as Diffusion-DPO does, and the
/// preferred image becomes the winner. Images are center-cropped to a square and resized to the
/// model's resolution with <see cref="ImageResize.ToSquare"/>.
/// </summary>
public static class PickAPicParquet
{
    public const string CaptionColumn = "caption";
    public const string Image0Column = "jpg_0";
    public const string Image1Column = "jpg_1";
    public const string Label0Column = "label_0";
    public const string Label1Column = "label_1";

    private static readonly string[] RequiredColumns =
        [CaptionColumn, Image0Column, Image1Column, Label0Column, Label1Column];

    /// <summary>
    /// Reads one parquet file, or every <c>*.parquet</c> file under a directory (recursively, in ordinal
    /// path order), all row groups, stopping once <paramref name="maxPairs"/> pairs are kept. Rows with a
    /// null field, an undecodable image or labels other than (1, 0), (0, 1), (0.5, 0.5) are skipped and
    /// counted.
    /// </summary>
    /// <exception cref="DiffusionAlignException">
    /// The path does not exist, a file is not parquet or lacks a Pick-a-Pic column, or no usable pair was
    /// found.
    /// </exception>
    public static (PreferenceDataset Dataset, LoadReport Report) Read(string path, int resizeTo, int? maxPairs = null)
    {
        // Parquet.Net is async-only; running it on the thread pool keeps this blocking wrapper free of
        // deadlocks under any synchronization context.
        return Task.Run(() => ReadAsync(path, resizeTo, maxPairs)).GetAwaiter().GetResult();
    }

    /// <inheritdoc cref="Read"/>
    public static async Task<(PreferenceDataset Dataset, LoadReport Report)> ReadAsync(
        string path, int resizeTo, int? maxPairs = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(resizeTo);
        if (maxPairs is <= 0)
            throw new ArgumentOutOfRangeException(nameof(maxPairs), maxPairs, "maximum pair count must be positive");

        var tally = new LoadTally(path);
        var pairs = new List<PreferencePair>();
        await foreach (var pair in PairsAsync(path, resizeTo, tally, cancellationToken).ConfigureAwait(false))
        {
            pairs.Add(pair);
            if (pairs.Count == maxPairs) break;
        }

        var report = tally.ToReport();
        if (pairs.Count == 0)
            throw new DiffusionAlignException(
                $"no usable preference pairs in {path} ({report.RowsRead} rows read, "
                + $"{report.TiesDropped} ties dropped"
                + $"{(report.BadRowsSkipped > 0 ? ": " + report.ReasonSummary : "")})");
        return (new PreferenceDataset(pairs), report);
    }

    /// <summary>
    /// The pairs of a file or folder of shards in order, read one row group at a time, so a dataset of any size
    /// streams through a bounded amount of memory. <paramref name="done"/> receives the tally once the
    /// enumeration ends (or is abandoned).
    /// </summary>
    public static IEnumerable<PreferencePair> Stream(string path, int resizeTo, Action<LoadReport>? done = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(resizeTo);
        var tally = new LoadTally(path);
        try
        {
            foreach (var pair in PairsAsync(path, resizeTo, tally, CancellationToken.None).ToBlockingEnumerable())
                yield return pair;
        }
        finally
        {
            done?.Invoke(tally.ToReport());
        }
    }

    private static async IAsyncEnumerable<PreferencePair> PairsAsync(string path, int resizeTo, LoadTally tally,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string[] files;
        if (Directory.Exists(path))
        {
            files = Directory.GetFiles(path, "*.parquet", SearchOption.AllDirectories)
                .Order(StringComparer.Ordinal)
                .ToArray();
            if (files.Length == 0) throw new DiffusionAlignException($"no .parquet files in {path}");
        }
        else if (File.Exists(path)) files = [path];
        else throw new DiffusionAlignException($"preference data not found: {path}");

        foreach (string file in files)
            await foreach (var pair in FilePairsAsync(file, resizeTo, tally, cancellationToken).ConfigureAwait(false))
                yield return pair;
    }

    private static async IAsyncEnumerable<PreferencePair> FilePairsAsync(
        string file, int resizeTo, LoadTally tally,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string name = Path.GetFileName(file);
        ParquetReader reader;
        try
        {
            ParquetLayoutCheck.CheckFooter(file);
            reader = await ParquetReader.CreateAsync(file, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (IsFormatProblem(e))
        {
            throw new DiffusionAlignException($"not a readable parquet file: {file} ({OneLine(e.Message)})", e);
        }

        await using (reader.ConfigureAwait(false))
        {
            var fields = new Dictionary<string, DataField>(StringComparer.Ordinal);
            try
            {
                // The reader decodes the schema on first use, so a damaged one fails here rather than on opening.
                foreach (var field in reader.Schema.DataFields) fields.TryAdd(field.Name, field);
            }
            catch (Exception e) when (IsFormatProblem(e))
            {
                throw new DiffusionAlignException($"not a readable parquet file: {file} ({OneLine(e.Message)})", e);
            }
            foreach (string column in RequiredColumns)
            {
                if (!fields.ContainsKey(column))
                    throw new DiffusionAlignException(
                        $"{file} has no '{column}' column "
                        + $"(a Pick-a-Pic file has {string.Join(", ", RequiredColumns)})");
            }

            using var layout = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1);
            int rowOffset = 0;
            for (int group = 0; group < reader.RowGroupCount; group++)
            {
                var rowGroup = reader.OpenRowGroupReader(group);
                int rows;
                string?[] captions;
                double?[] label0, label1;
                byte[]?[] image0, image1;
                try
                {
                    rows = ParquetLayoutCheck.CheckRowGroup(rowGroup, RequiredColumns.Select(c => fields[c]), layout);
                    captions = await ReadStringsAsync(rowGroup, fields[CaptionColumn], rows, cancellationToken)
                        .ConfigureAwait(false);
                    label0 = await ReadNumbersAsync(rowGroup, fields[Label0Column], rows, cancellationToken)
                        .ConfigureAwait(false);
                    label1 = await ReadNumbersAsync(rowGroup, fields[Label1Column], rows, cancellationToken)
                        .ConfigureAwait(false);
                    image0 = await ReadBytesAsync(rowGroup, fields[Image0Column], rows, cancellationToken)
                        .ConfigureAwait(false);
                    image1 = await ReadBytesAsync(rowGroup, fields[Image1Column], rows, cancellationToken)
                        .ConfigureAwait(false);
                }
                catch (Exception e) when (IsFormatProblem(e) || e is DiffusionAlignException)
                {
                    throw new DiffusionAlignException(
                        $"cannot read row group {group} of {file} ({OneLine(e.Message)})", e);
                }

                for (int row = 0; row < rows; row++)
                {
                    tally.Row();
                    var pair = ToPair(
                        captions[row], image0[row], image1[row], label0[row], label1[row], resizeTo,
                        $"{name} row {rowOffset + row}", tally);
                    if (pair is null) continue;
                    tally.Kept();
                    yield return pair;
                }
                rowOffset += rows;
            }
        }
    }

    /// <summary>One row to a pair, or null after recording it as a tie or a skipped row.</summary>
    private static PreferencePair? ToPair(
        string? caption, byte[]? jpg0, byte[]? jpg1, double? label0, double? label1, int resizeTo, string where,
        LoadTally tally)
    {
        if (caption is null) return Missing(CaptionColumn);
        if (label0 is not double l0) return Missing(Label0Column);
        if (label1 is not double l1) return Missing(Label1Column);

        bool firstWins;
        if (l0 == 0.5 && l1 == 0.5)
        {
            tally.Tie();
            return null;
        }
        else if (l0 == 1 && l1 == 0) firstWins = true;
        else if (l0 == 0 && l1 == 1) firstWins = false;
        else
        {
            tally.Skip(SkipReason.BadLabel, where, $"label_0 {l0}, label_1 {l1}");
            return null;
        }

        if (jpg0 is null || jpg0.Length == 0) return Missing(Image0Column);
        if (jpg1 is null || jpg1.Length == 0) return Missing(Image1Column);
        var first = Decode(jpg0, Image0Column);
        if (first is null) return null;
        var second = Decode(jpg1, Image1Column);
        if (second is null) return null;
        return firstWins ? new PreferencePair(caption, first, second) : new PreferencePair(caption, second, first);

        PreferencePair? Missing(string column)
        {
            tally.Skip(SkipReason.MissingField, where, column);
            return null;
        }

        RgbImage? Decode(byte[] bytes, string column)
        {
            try
            {
                return ImageResize.ToSquare(ImageCodec.Decode(bytes, column), resizeTo);
            }
            catch (DiffusionAlignException)
            {
                tally.Skip(SkipReason.UndecodableImage, where, column);
                return null;
            }
        }
    }

    private static async Task<string?[]> ReadStringsAsync(
        ParquetRowGroupReader rowGroup, DataField field, int rows, CancellationToken ct)
    {
        if (field.ClrType != typeof(string) && field.ClrType != typeof(ReadOnlyMemory<char>))
            throw new DiffusionAlignException($"column '{field.Name}' holds {field.ClrType.Name}, expected text");
        var values = new string?[rows];
        await rowGroup.ReadAsync(field, values.AsMemory()!, null, ct).ConfigureAwait(false);
        return values;
    }

    private static async Task<byte[]?[]> ReadBytesAsync(
        ParquetRowGroupReader rowGroup, DataField field, int rows, CancellationToken ct)
    {
        if (field.ClrType != typeof(byte[]) && field.ClrType != typeof(ReadOnlyMemory<byte>))
            throw new DiffusionAlignException(
                $"column '{field.Name}' holds {field.ClrType.Name}, expected binary image bytes");
        var values = new byte[]?[rows];
        await rowGroup.ReadAsync(field, values.AsMemory()!, null, ct).ConfigureAwait(false);
        return values;
    }

    /// <summary>Reads a numeric column as nullable doubles, whatever numeric type the writer chose.</summary>
    private static async Task<double?[]> ReadNumbersAsync(
        ParquetRowGroupReader rowGroup, DataField field, int rows, CancellationToken ct)
    {
        var type = field.ClrType;
        if (type == typeof(double)) return await ReadAs<double>(v => v).ConfigureAwait(false);
        if (type == typeof(float)) return await ReadAs<float>(v => v).ConfigureAwait(false);
        if (type == typeof(long)) return await ReadAs<long>(v => v).ConfigureAwait(false);
        if (type == typeof(int)) return await ReadAs<int>(v => v).ConfigureAwait(false);
        if (type == typeof(short)) return await ReadAs<short>(v => v).ConfigureAwait(false);
        if (type == typeof(sbyte)) return await ReadAs<sbyte>(v => v).ConfigureAwait(false);
        if (type == typeof(byte)) return await ReadAs<byte>(v => v).ConfigureAwait(false);
        throw new DiffusionAlignException($"column '{field.Name}' holds {type.Name}, expected a number");

        async Task<double?[]> ReadAs<T>(Func<T, double> convert) where T : struct
        {
            var result = new double?[rows];
            if (field.IsNullable)
            {
                var values = new T?[rows];
                await rowGroup.ReadAsync<T>(field, values.AsMemory(), null, ct).ConfigureAwait(false);
                for (int i = 0; i < rows; i++) result[i] = values[i] is T v ? convert(v) : null;
            }
            else
            {
                var values = new T[rows];
                await rowGroup.ReadAsync<T>(field, values.AsMemory(), null, ct).ConfigureAwait(false);
                for (int i = 0; i < rows; i++) result[i] = convert(values[i]);
            }
            return result;
        }
    }

    /// <summary>
    /// Errors a malformed or foreign file can raise inside the parquet reader. The reader is a
    /// third-party parser fed untrusted bytes, so beyond its documented IOException/ParquetException a
    /// truncated or corrupt file surfaces as index, overflow or format errors; all are the user's file,
    /// not our bug.
    /// </summary>
    private static bool IsFormatProblem(Exception e) =>
        e is IOException or ParquetException or InvalidDataException or FormatException or ArgumentException
            or IndexOutOfRangeException or OverflowException or InvalidOperationException or NotSupportedException
            or NotImplementedException or EndOfStreamException or ThriftProtocolException
            // The reader dereferences optional metadata a damaged footer leaves out.
            or NullReferenceException;

    private static string OneLine(string message) => message.ReplaceLineEndings(" ");
}

using DiffusionAlign.IO;

namespace DiffusionAlign.Tests.IO;

public sealed class AtomicFileTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "dalign-atomic-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public void AWriterThatThrowsMidwayLeavesNothingBehind()
    {
        string path = Path.Combine(_dir, "out.bin");
        Assert.Throws<IOException>(() => AtomicFile.Write(path, stream =>
        {
            stream.Write(new byte[1000]);
            throw new IOException("disk full");
        }));
        Assert.Empty(Directory.GetFiles(_dir));
    }

    [Fact]
    public void AWriterThatThrowsKeepsThePreviousContent()
    {
        string path = Path.Combine(_dir, "out.bin");
        AtomicFile.Write(path, stream => stream.Write(new byte[] { 1, 2, 3 }));
        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, stream =>
        {
            stream.Write(new byte[] { 9, 9 });
            throw new InvalidOperationException("boom");
        }));
        Assert.Equal(new byte[] { 1, 2, 3 }, File.ReadAllBytes(path));
        Assert.Equal(new[] { path }, Directory.GetFiles(_dir));
    }
}

using DiffusionAlign.Bench;
using DiffusionAlign.Models;
using DiffusionAlign.Objectives;
using DiffusionAlign.Training;

namespace DiffusionAlign.Bench.Tests;

/// <summary>
/// The C# side of the PyTorch peer, without PyTorch: CI does not install python3-torch, so these tests
/// cover parsing the peer's output and the "not available" paths, never a real peer run.
/// </summary>
public sealed class PeerBenchmarkTests
{
    // What peer_step.py prints on the benchmark config (pairs 8, threads 2), one line, after a stray line.
    private const string TimingOutput = "some library chatter on stdout\n"
        + """{"torch_version": "1.13.0a0", "python_version": "3.11.2", "numpy_version": "1.24.2", "threads": 2,"""
        + """ "requested_threads": 2, "debian_package": "1.13.1+dfsg-4", "blas": "generic","""
        + """ "blas_library": "/usr/lib/x86_64-linux-gnu/openblas-openmp/libblas.so.3", "mkldnn": true,"""
        + """ "attention": "matmul-softmax", "parameters": 1412707, "mode": "time", "method": "dspo","""
        + """ "pairs_per_step": 8, "timed_steps": 10, "warmup_steps": 2, "weight_decay": 0.0,"""
        + """ "step_seconds": 0.25, "pairs_per_second": 32.0, "policy_forward_seconds": 0.05,"""
        + """ "reference_forward_seconds": 0.04, "backward_seconds": 0.14, "optimizer_seconds": 0.01,"""
        + """ "other_seconds": 0.01, "reference_share": 0.16, "final_loss": 1.08, "beta": 0.001,"""
        + """ "text_tokens": 10, "cross_dim": 64, "image_size": 32}""" + "\n";

    [Fact]
    public void ParsesTheTimingLineWithItsSnakeCaseNames()
    {
        var timing = PeerBenchmark.Parse<PeerStepTiming>(TimingOutput);

        Assert.Equal("1.13.0a0", timing.TorchVersion);
        Assert.Equal("1.13.1+dfsg-4", timing.DebianPackage);
        Assert.Equal(2, timing.Threads);
        Assert.Equal("matmul-softmax", timing.Attention);
        Assert.Equal(1_412_707, timing.Parameters);
        Assert.Equal("dspo", timing.Method);
        Assert.Equal(8, timing.PairsPerStep);
        Assert.Equal(10, timing.TimedSteps);
        Assert.Equal(0.25, timing.StepSeconds);
        Assert.Equal(32.0, timing.PairsPerSecond);
        Assert.Equal(0.05, timing.PolicyForwardSeconds);
        Assert.Equal(0.04, timing.ReferenceForwardSeconds);
        Assert.Equal(0.14, timing.BackwardSeconds);
        Assert.Equal(0.01, timing.OptimizerSeconds);
        Assert.Equal(0.16, timing.ReferenceShare);
        Assert.Contains("openblas", timing.BlasLibrary);
    }

    [Fact]
    public void ParsesTheCheckLine()
    {
        const string output = """{"torch_version": "1.13.0a0", "parameters": 1412707, "mode": "check","""
            + """ "output_max_abs_diff": 9.5367431640625e-07, "output_max_abs": 3.83, "loss_dspo_abs_diff": 0.0,"""
            + """ "loss_dpo_abs_diff": 1e-8}""";

        var check = PeerBenchmark.Parse<PeerCheckResult>(output);

        Assert.Equal(1_412_707, check.Parameters);
        Assert.Equal(9.5367431640625e-07, check.OutputMaxAbsDiff);
        Assert.Equal(3.83, check.OutputMaxAbs);
        Assert.Equal(1e-8, check.DpoLossAbsDiff);
    }

    [Theory]
    [InlineData("")]
    [InlineData("Traceback (most recent call last):\n  ImportError: no torch")]
    [InlineData("{\"step_seconds\": ")]
    public void OutputWithoutAJsonObjectIsAUserFacingError(string output)
    {
        Assert.Throws<DiffusionAlignException>(() => PeerBenchmark.Parse<PeerStepTiming>(output));
    }

    [Fact]
    public void AMissingScriptIsLoggedNotThrown()
    {
        var messages = new List<string>();
        var missing = Path.Combine(Path.GetTempPath(), $"no-such-peer-{Guid.NewGuid():N}.py");

        var timing = PeerBenchmark.TryRun(UNet2DConditionConfig.Tiny, AlignMethod.Dspo, pairs: 2, steps: 1, warmup: 0,
            threads: 1, textTokens: 10, scriptPath: missing, log: messages.Add);

        Assert.Null(timing);
        Assert.Contains(messages, m => m.Contains("does not exist") && m.Contains(missing));
    }

    [Fact]
    public void TheScriptIsFoundFromTheTestBinaries()
    {
        // Tests run from tests/.../bin/<config>/<tfm>; the search walks up to the repository root.
        var script = PeerBenchmark.FindScript();

        Assert.NotNull(script);
        Assert.EndsWith(Path.Combine("bench", "peer", "peer_step.py"), script);
    }
}

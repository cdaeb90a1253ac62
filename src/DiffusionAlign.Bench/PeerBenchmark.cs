using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using DiffusionAlign.IO;
using DiffusionAlign.Models;
using DiffusionAlign.Objectives;
using DiffusionAlign.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace DiffusionAlign.Bench;

/// <summary>
/// The alignment step as timed by the PyTorch peer (<c>bench/peer/peer_step.py</c>): the same UNet,
/// batch and loss in plain PyTorch, split into the same phases as <see cref="TrainingStepTiming"/>.
/// </summary>
public sealed record PeerStepTiming
{
    /// <summary><c>torch.__version__</c> of the peer (Debian's 1.13.1 build reports <c>1.13.0a0</c>).</summary>
    [JsonPropertyName("torch_version")] public string TorchVersion { get; init; } = "";

    /// <summary>Version of Debian's <c>python3-torch</c> package, when dpkg knows it.</summary>
    [JsonPropertyName("debian_package")] public string? DebianPackage { get; init; }

    [JsonPropertyName("python_version")] public string PythonVersion { get; init; } = "";

    /// <summary><c>torch.get_num_threads()</c> during the run.</summary>
    [JsonPropertyName("threads")] public int Threads { get; init; }

    /// <summary>
    /// The shared libraries providing BLAS in the peer process (Debian's torch uses the system
    /// <c>libblas.so.3</c>).
    /// </summary>
    [JsonPropertyName("blas_library")] public string? BlasLibrary { get; init; }

    /// <summary>
    /// How the peer computes attention: <c>matmul-softmax</c> (torch 1.13 has no fused scaled-dot-product
    /// attention).
    /// </summary>
    [JsonPropertyName("attention")] public string Attention { get; init; } = "";

    /// <summary>
    /// <c>OMP_WAIT_POLICY</c> the peer ran with (null: OpenMP's default, spinning); see bench/peer/README.md.
    /// </summary>
    [JsonPropertyName("omp_wait_policy")] public string? OmpWaitPolicy { get; init; }

    /// <summary>
    /// Parameters of the peer's UNet; equal to ours, or <see cref="PeerBenchmark.TryRun"/> rejects the run.
    /// </summary>
    [JsonPropertyName("parameters")] public long Parameters { get; init; }

    [JsonPropertyName("method")] public string Method { get; init; } = "";

    [JsonPropertyName("pairs_per_step")] public int PairsPerStep { get; init; }

    [JsonPropertyName("timed_steps")] public int TimedSteps { get; init; }

    [JsonPropertyName("step_seconds")] public double StepSeconds { get; init; }

    [JsonPropertyName("pairs_per_second")] public double PairsPerSecond { get; init; }

    [JsonPropertyName("policy_forward_seconds")] public double PolicyForwardSeconds { get; init; }

    [JsonPropertyName("reference_forward_seconds")] public double ReferenceForwardSeconds { get; init; }

    [JsonPropertyName("backward_seconds")] public double BackwardSeconds { get; init; }

    [JsonPropertyName("optimizer_seconds")] public double OptimizerSeconds { get; init; }

    /// <summary>
    /// Building the step's inputs (noising, random prompt states) and anything not in the four phases.
    /// </summary>
    [JsonPropertyName("other_seconds")] public double OtherSeconds { get; init; }

    [JsonPropertyName("reference_share")] public double ReferenceShare { get; init; }

    /// <summary>Loss of the last step, to show the peer trained on finite numbers.</summary>
    [JsonPropertyName("final_loss")] public double FinalLoss { get; init; }
}

/// <summary>
/// The peer's verdict on whether it runs the same network as ours: given our weights and inputs, the
/// largest absolute difference between its UNet output and ours, and between its loss values and ours.
/// </summary>
public sealed record PeerCheckResult
{
    [JsonPropertyName("torch_version")] public string TorchVersion { get; init; } = "";

    [JsonPropertyName("parameters")] public long Parameters { get; init; }

    [JsonPropertyName("output_max_abs_diff")] public double OutputMaxAbsDiff { get; init; }

    /// <summary>
    /// Largest absolute value of our output, the scale <see cref="OutputMaxAbsDiff"/> is read against.
    /// </summary>
    [JsonPropertyName("output_max_abs")] public double OutputMaxAbs { get; init; }

    [JsonPropertyName("loss_dspo_abs_diff")] public double DspoLossAbsDiff { get; init; }

    [JsonPropertyName("loss_dpo_abs_diff")] public double DpoLossAbsDiff { get; init; }
}

/// <summary>
/// Runs the PyTorch peer of the alignment step (<c>bench/peer/peer_step.py</c> under a Python that can
/// <c>import torch</c>, normally Debian's <c>python3-torch</c>) so a benchmark can report our time beside
/// PyTorch's for the same UNet config, batch and loss. The peer is optional: when Python, torch or the
/// script is missing, the methods here log why and return null instead of throwing.
/// </summary>
public static class PeerBenchmark
{
    /// <summary>Where the peer script lives, relative to the repository root.</summary>
    public static readonly string ScriptRelativePath = Path.Combine("bench", "peer", "peer_step.py");

    /// <summary>
    /// Debian's interpreter, where <c>apt-get install python3-torch</c> puts torch; tried before
    /// <c>python3</c> on PATH.
    /// </summary>
    public const string DebianPython = "/usr/bin/python3";

    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Times <paramref name="steps"/> alignment steps (after <paramref name="warmup"/> untimed ones) in the
    /// PyTorch peer: the UNet <paramref name="config"/> with fresh weights, <paramref name="pairs"/> pairs per
    /// step (one forward of 2·pairs images), prompt states of <paramref name="textTokens"/> tokens, the loss of
    /// <paramref name="method"/> with β from <see cref="AlignConfig.DefaultsFor"/>, AdamW, gradient clipping at 1.
    /// </summary>
    /// <param name="scriptPath">The peer script; null to look for it with <see cref="FindScript"/>.</param>
    /// <param name="log">Receives why the peer did not run, if it did not.</param>
    /// <param name="timeout">Wall-clock limit for the peer process (default 10 minutes).</param>
    /// <param name="python">
    /// The interpreter, when the caller already found it with <see cref="FindPython"/> (each probe imports
    /// torch, seconds).
    /// </param>
    /// <returns>The peer's timing, or null when the peer is unavailable or failed (the reason is logged).</returns>
    public static PeerStepTiming? TryRun(UNet2DConditionConfig config, AlignMethod method, int pairs, int steps,
        int warmup, int threads, int textTokens, string? scriptPath = null, Action<string>? log = null,
        TimeSpan? timeout = null, string? python = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (method is not (AlignMethod.Dspo or AlignMethod.Dpo))
            throw new ArgumentOutOfRangeException(nameof(method), method, "the peer implements DSPO and Diffusion-DPO");
        ArgumentOutOfRangeException.ThrowIfLessThan(pairs, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(warmup);
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(textTokens, 1);
        config.Validate();

        var crossDims = Enumerable.Range(0, config.BlockCount).Select(config.CrossAttentionDim.For).Distinct().ToList();
        if (crossDims.Count != 1)
        {
            log?.Invoke($"peer skipped: cross_attention_dim differs between blocks ({config.CrossAttentionDim}), "
                + $"so no single prompt width fits");
            return null;
        }

        if (Locate(scriptPath, log) is not { } script || (python ?? FindPython(log)) is not { } interpreter)
            return null;

        var methodName = method == AlignMethod.Dspo ? "dspo" : "dpo";
        var defaults = AlignConfig.DefaultsFor(method);
        var beta = defaults.Beta;
        var configPath = Path.Combine(Path.GetTempPath(), $"dalign-peer-{Guid.NewGuid():N}.json");
        try
        {
            File.WriteAllText(configPath, config.ToJson());
            var stdout = RunScript(interpreter, script, log, timeout ?? DefaultTimeout,
                "--config", configPath, "--method", methodName,
                "--pairs", Invariant(pairs), "--steps", Invariant(steps), "--warmup", Invariant(warmup),
                "--threads", Invariant(threads), "--text-tokens", Invariant(textTokens),
                "--cross-dim", Invariant(crossDims[0]),
                "--beta", beta.ToString("R", CultureInfo.InvariantCulture),
                "--lr", defaults.LearningRate.ToString("R", CultureInfo.InvariantCulture),
                "--weight-decay", defaults.WeightDecay.ToString("R", CultureInfo.InvariantCulture));
            if (stdout is null) return null;

            var timing = Parse<PeerStepTiming>(stdout);
            var ours = ParameterCount(config);
            if (timing.Parameters != ours)
            {
                log?.Invoke($"peer rejected: its UNet has {timing.Parameters:N0} parameters, ours {ours:N0}, "
                    + $"so it is not the same network");
                return null;
            }
            return timing;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or DiffusionAlignException)
        {
            log?.Invoke($"peer failed: {e.Message}");
            return null;
        }
        finally
        {
            TryDelete(configPath);
        }
    }

    /// <summary>
    /// Checks that the peer computes the same function as <paramref name="unet"/>: writes its weights, a batch of
    /// inputs with our outputs, and a loss case (DSPO with β = 0.5 so the shift term matters, Diffusion-DPO with
    /// β = 2000) to temporary safetensors files, and lets the peer recompute all of them.
    /// </summary>
    /// <returns>The differences, or null when the peer is unavailable or failed (the reason is logged).</returns>
    /// <param name="python">As for <see cref="TryRun"/>.</param>
    public static PeerCheckResult? TryCheck(UNet2DConditionModel unet, int textTokens = 10, long seed = 0,
        string? scriptPath = null, Action<string>? log = null, TimeSpan? timeout = null, string? python = null)
    {
        ArgumentNullException.ThrowIfNull(unet);
        if (Locate(scriptPath, log) is not { } script || (python ?? FindPython(log)) is not { } interpreter)
            return null;

        var dir = Path.Combine(Path.GetTempPath(), $"dalign-peer-check-{Guid.NewGuid():N}");
        try
        {
            Directory.CreateDirectory(dir);
            var configPath = Path.Combine(dir, "config.json");
            var weightsPath = Path.Combine(dir, "unet.safetensors");
            var checkPath = Path.Combine(dir, "check.safetensors");
            File.WriteAllText(configPath, unet.Config.ToJson());
            WriteCheckFiles(unet, weightsPath, checkPath, textTokens, seed);
            var stdout = RunScript(interpreter, script, log, timeout ?? DefaultTimeout,
                "--config", configPath, "--weights", weightsPath, "--check", checkPath,
                "--threads", Invariant(Math.Max(1, get_num_threads())));
            return stdout is null ? null : Parse<PeerCheckResult>(stdout);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or DiffusionAlignException)
        {
            log?.Invoke($"peer check failed: {e.Message}");
            return null;
        }
        finally
        {
            try
            {
                if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
                // A leftover temp folder is not worth failing a benchmark over.
            }
        }
    }

    /// <summary>
    /// Finds <c>bench/peer/peer_step.py</c> in the current directory, the application's directory, or any
    /// folder above them (so it is found from the repository root and from <c>bin/Release/...</c>).
    /// </summary>
    public static string? FindScript()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, ScriptRelativePath);
                if (File.Exists(candidate)) return candidate;
            }
        }
        return null;
    }

    /// <summary>
    /// The first of <see cref="DebianPython"/> and the <c>python3</c> executables on PATH that can
    /// <c>import torch</c>, or null (with the reason logged).
    /// </summary>
    public static string? FindPython(Action<string>? log = null)
    {
        var candidates = new List<string> { DebianPython };
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, "python3");
            if (!candidates.Contains(candidate)) candidates.Add(candidate);
        }

        foreach (var candidate in candidates.Where(File.Exists))
        {
            var result = Machine.ChildProcess.Run(candidate,
                ["-c", "import torch, sys; sys.stdout.write(torch.__version__)"], ProbeTimeout);
            if (result is { ExitCode: 0 }) return candidate;
        }

        log?.Invoke($"peer skipped: no python3 with torch "
            + $"(tried {string.Join(", ", candidates.Where(File.Exists).DefaultIfEmpty("none found"))}); "
            + $"install it with `sudo apt-get install python3-torch`");
        return null;
    }

    /// <summary>
    /// Reads the peer's result: the last line of <paramref name="stdout"/> that is a JSON object (the script
    /// prints exactly one; anything before it is ignored).
    /// </summary>
    /// <exception cref="DiffusionAlignException">
    /// No JSON object, or one that does not describe a <typeparamref name="T"/>.
    /// </exception>
    public static T Parse<T>(string stdout)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(stdout);
        var line = stdout.Split('\n').Select(l => l.Trim()).LastOrDefault(l => l.StartsWith('{'))
            ?? throw new DiffusionAlignException("the peer printed no JSON object");
        try
        {
            return JsonSerializer.Deserialize<T>(line) ?? throw new DiffusionAlignException("the peer printed null");
        }
        catch (JsonException e)
        {
            throw new DiffusionAlignException($"the peer's output is not valid JSON: {e.Message}", e);
        }
    }

    /// <summary>
    /// Parameters of the UNet <paramref name="config"/> describes, counted without allocating weights.
    /// </summary>
    private static long ParameterCount(UNet2DConditionConfig config) =>
        UNet2DConditionModel.CheckpointShapes(config).Values.Sum(shape => shape.Aggregate(1L, (a, b) => a * b));

    private static string? Locate(string? scriptPath, Action<string>? log)
    {
        var script = scriptPath ?? FindScript();
        if (script is not null && File.Exists(script)) return Path.GetFullPath(script);
        log?.Invoke(script is null
            ? $"peer skipped: {ScriptRelativePath} not found above {Directory.GetCurrentDirectory()} "
                + $"or {AppContext.BaseDirectory}"
            : $"peer skipped: script '{script}' does not exist");
        return null;
    }

    /// <summary>Runs the peer script; its stdout on success, else null with the reason logged.</summary>
    private static string? RunScript(string python, string script, Action<string>? log, TimeSpan timeout,
        params string[] args)
    {
        var result = Machine.ChildProcess.Run(python, [script, .. args], timeout);
        if (result is null)
        {
            log?.Invoke($"peer failed: could not start {python}");
            return null;
        }
        if (result.TimedOut)
        {
            log?.Invoke($"peer failed: no result within {timeout.TotalSeconds:F0} s");
            return null;
        }
        if (result.ExitCode != 0)
        {
            var tail = string.Join(" | ", result.Stderr
                .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).TakeLast(3));
            log?.Invoke($"peer failed (exit {result.ExitCode}): {tail}");
            return null;
        }
        return result.Stdout;
    }

    private static void WriteCheckFiles(UNet2DConditionModel unet, string weightsPath, string checkPath,
        int textTokens, long seed)
    {
        using var scope = NewDisposeScope();
        var config = unet.Config;
        var size = config.SampleSize ?? 32;
        var crossDim = config.CrossAttentionDim.For(0);
        var weights = unet.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().cpu().contiguous());
        SafetensorsFile.Write(weightsPath, weights);

        using var generator = new Generator((ulong)seed, CPU);
        var check = new Dictionary<string, Tensor>();
        using (no_grad())
        {
            const int batch = 4;
            var sample = randn(new long[] { batch, config.InChannels, size, size }, generator: generator);
            var timestep = tensor(new long[] { 0, 250, 600, 999 });
            var text = randn(new long[] { batch, textTokens, crossDim }, generator: generator);
            var wasTraining = unet.training;
            unet.eval();
            var output = unet.forward(sample.to(unet.parameters().First().device), timestep, text).cpu().contiguous();
            if (wasTraining) unet.train();
            check["sample"] = sample;
            check["timestep"] = timestep;
            check["encoder_hidden_states"] = text;
            check["output"] = output;

            // Loss case: 4 pairs, model = ε + noise, reference = model + a little noise
            // (margins of order 1 at β = 2000).
            long[] shape = [2 * batch, config.OutChannels, size, size];
            using var modelNoise = 0.1.ToScalar();
            using var referenceNoise = 0.01.ToScalar();
            var target = randn(shape, generator: generator);
            var modelPred = TensorSum.Add(target, randn(shape, generator: generator).mul(modelNoise));
            var referencePred = TensorSum.Add(modelPred, randn(shape, generator: generator).mul(referenceNoise));
            check["loss_model_pred"] = modelPred;
            check["loss_reference_pred"] = referencePred;
            check["loss_target"] = target;
            foreach (var (name, beta, objective) in new (string, float, IPreferenceObjective)[]
            {
                ("dspo", 0.5f, new DspoLoss(0.5)),
                ("dpo", 2000f, new DiffusionDpoLoss(2000)),
            })
            {
                using var loss = objective.Compute(modelPred, referencePred, target);
                check[$"loss_{name}"] = loss.Loss.reshape(1).detach().clone();
                check[$"beta_{name}"] = tensor(new[] { beta });
            }
        }
        SafetensorsFile.Write(checkPath, check);
    }

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // A leftover temp file is not worth failing a benchmark over.
        }
    }
}

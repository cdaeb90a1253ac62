using System.Globalization;
using DiffusionAlign.Models;
using DiffusionAlign.Models.Analysis;
using DiffusionAlign.Models.Lora;
using DiffusionAlign.Objectives;
using DiffusionAlign.Pipelines;
using TorchSharp;
using static TorchSharp.torch;

namespace DiffusionAlign.Training;

/// <summary>
/// What an alignment run will hold in memory, estimated from shapes before anything is allocated, so a run
/// that cannot fit fails at start-up with a remedy instead of an hour in. Bytes of:
/// <list type="bullet">
/// <item>the persistent state: every module's weights (UNet, text encoder, VAE) in the dtype they will
/// compute in, the LoRA adapters (float32), the trainable parameters' gradients and AdamW's two moments
/// (<see cref="FlatAdamW"/> keeps weights, gradients and moments in flat buffers; the weights' buffer replaces
/// the parameters' own storage, so it adds nothing), and for full fine-tuning the frozen reference copy;</item>
/// <item>the phases that come and go, of which only the largest counts: encoding the pair images to latents,
/// the reference's forward (no graph), the policy's forward with what it keeps for backward, and AdamW's
/// step (one temporary of the trainable size).</item>
/// </list>
/// Activations follow <see cref="ActivationMemory"/> at the input's real side (latents for a latent model) on
/// 2 images a pair (1 for objectives that read only winners). Under gradient checkpointing they are the
/// tensors at block boundaries plus the layers outside the blocks plus one block rebuilt during backward,
/// which is roughly what the UNet then keeps. Not counted: the .NET runtime and LibTorch themselves,
/// allocator slack, kernel workspaces and the gradients flowing through backward; <see cref="Check"/> adds
/// <see cref="Headroom"/> for them (Stable Diffusion 1.5 LoRA steps at 256×256 were measured to grow the
/// process by 11–17% more than <see cref="TotalBytes"/>).
/// </summary>
public sealed record MemoryEstimate
{
    /// <summary>Every module's weights (UNet, text encoder, VAE) in their compute dtype, adapters excluded.</summary>
    public long WeightBytes { get; init; }

    /// <summary>LoRA adapters (float32); 0 for full fine-tuning.</summary>
    public long AdapterBytes { get; init; }

    /// <summary>Gradients of the trainable parameters (float32).</summary>
    public long GradientBytes { get; init; }

    /// <summary>AdamW's first and second moments of the trainable parameters (float32).</summary>
    public long OptimizerStateBytes { get; init; }

    /// <summary>The frozen copy of the starting model full fine-tuning compares against; 0 with LoRA.</summary>
    public long ReferenceCopyBytes { get; init; }

    /// <summary>What the policy's forward keeps for backward, for a micro-batch.</summary>
    public long ActivationBytes { get; init; }

    /// <summary>
    /// What the reference's forward holds while it runs (no graph: the skips the up blocks wait for and one
    /// block's intermediates); freed before the policy's forward starts.
    /// </summary>
    public long ReferenceForwardBytes { get; init; }

    /// <summary>
    /// Encoding the micro-batch's images with the VAE (latent models fed images): about eight feature maps
    /// of the encoder's first level per image, the most one of its resnets holds at once.
    /// </summary>
    public long VaeEncodeBytes { get; init; }

    /// <summary>The temporary AdamW's step allocates (one buffer of the trainable size), after backward.</summary>
    public long OptimizerStepBytes { get; init; }

    /// <summary>Whether the estimate is for LoRA adapters (else full fine-tuning of the UNet).</summary>
    public bool Lora { get; init; }

    public bool GradientCheckpointing { get; init; }

    public TrainingPrecision Precision { get; init; }

    /// <summary>Pairs per micro-batch.</summary>
    public int BatchSize { get; init; }

    /// <summary>Side of the training images, in pixels.</summary>
    public int ImageSize { get; init; }

    /// <summary>What lives through the run: weights, adapters, gradients, AdamW's moments, reference copy.</summary>
    public long PersistentBytes =>
        WeightBytes + AdapterBytes + GradientBytes + OptimizerStateBytes + ReferenceCopyBytes;

    /// <summary>The largest phase: the phases of a step run one after another, never together.</summary>
    public long TransientBytes =>
        Math.Max(Math.Max(ActivationBytes, ReferenceForwardBytes), Math.Max(VaeEncodeBytes, OptimizerStepBytes));

    public long TotalBytes => PersistentBytes + TransientBytes;

    /// <summary>The factor <see cref="Check"/> puts on <see cref="TotalBytes"/> for what it leaves out.</summary>
    public const double Headroom = 1.2;

    /// <summary><see cref="TotalBytes"/> with <see cref="Headroom"/>: what <see cref="Check"/> compares.</summary>
    public long RequiredBytes => (long)(TotalBytes * Headroom);

    /// <summary>
    /// The estimate for aligning <paramref name="policy"/> as <paramref name="config"/> says (LoRA or full
    /// fine-tuning, precision, gradient checkpointing, pairs per micro-batch) on
    /// <paramref name="imageSize"/>-pixel images. Reads only shapes: nothing is allocated.
    /// </summary>
    public static MemoryEstimate ForAlignment(TextToImageModel policy, AlignConfig config, int imageSize)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(config);
        if (imageSize < 1) throw new ArgumentOutOfRangeException(nameof(imageSize), imageSize, "must be positive");
        var objective = config.CreateObjective();
        var lora = config.Lora;
        bool bf16 = config.Precision == TrainingPrecision.Bf16;
        int computeBytes = bf16 ? 2 : 4;
        int side = (int)policy.SampleShape(imageSize, imageSize)[^1];
        int images = (objective.Input == ObjectiveInput.WinnersOnly ? 1 : 2) * config.BatchSize;
        int tokens = policy.Tokenizer.MaxLength;
        var kernel = policy.Unet.modules().OfType<Attention>().FirstOrDefault()?.Kernel
            ?? AttentionKernel.ScaledDotProduct;

        long weights = policy.Modules.named_parameters()
            .Where(p => !LoraAdapters.IsAdapterParameter(p.name))
            .Sum(p => p.parameter.numel() * (bf16 ? 2 : p.parameter.element_size()));
        if (policy.Vae is { } vae) weights += vae.parameters().Sum(p => p.numel() * (bf16 ? 2 : p.element_size()));
        long adapters = lora is null ? 0 : AdapterParameters(policy, lora, textEncoder: lora.TextEncoder);
        long trainable = lora is null ? policy.Unet.parameters().Sum(p => p.numel()) : adapters;

        double perImage = config.GradientCheckpointing
            ? ActivationMemory.UNetCheckpointedBytesPerImage(policy.Unet, tokens, side, kernel, computeBytes, lora)
            : ActivationMemory.UNetSavedBytesPerImage(policy.Unet, tokens, side, kernel, computeBytes, lora);
        double referencePerImage = objective.NeedsReference
            ? ActivationMemory.UNetCheckpointedBytesPerImage(policy.Unet, tokens, side, kernel, computeBytes)
            : 0;
        double vaeEncode = policy.Vae is { } encoder
            ? 8.0 * encoder.Config.BlockOutChannels[0] * imageSize * imageSize * computeBytes * images
            : 0;
        return new MemoryEstimate
        {
            WeightBytes = weights,
            AdapterBytes = adapters * 4,
            GradientBytes = trainable * 4,
            OptimizerStateBytes = 2 * trainable * 4,
            ReferenceCopyBytes = objective.NeedsReference && lora is null ? weights : 0,
            ActivationBytes = (long)(perImage * images),
            ReferenceForwardBytes = (long)(referencePerImage * images),
            VaeEncodeBytes = (long)vaeEncode,
            OptimizerStepBytes = trainable * 4,
            Lora = lora is not null,
            GradientCheckpointing = config.GradientCheckpointing,
            Precision = config.Precision,
            BatchSize = config.BatchSize,
            ImageSize = imageSize,
        };
    }

    /// <summary>
    /// The memory this process may use: the machine's physical memory, or the container's limit when there is
    /// one (what the .NET runtime reads from the operating system).
    /// </summary>
    public static long AvailableBytes() => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;

    /// <summary>
    /// Null when <paramref name="estimate"/>'s <see cref="RequiredBytes"/> fit in <paramref name="availableBytes"/>;
    /// otherwise one line saying how much is needed, where it goes, and what to change: LoRA instead of full
    /// fine-tuning, gradient checkpointing, bf16, a smaller batch or resolution (only the remedies not in use).
    /// </summary>
    public static string? Check(MemoryEstimate estimate, long availableBytes)
    {
        ArgumentNullException.ThrowIfNull(estimate);
        if (estimate.RequiredBytes <= availableBytes) return null;
        var remedies = new List<string>();
        if (!estimate.Lora)
            remedies.Add("train LoRA adapters (--lora-rank 4): no reference copy, gradients or AdamW state "
                + "for the whole UNet");
        if (!estimate.GradientCheckpointing)
            remedies.Add("--gradient-checkpointing (keeps only block boundaries for backward)");
        if (estimate.Precision == TrainingPrecision.Fp32)
            remedies.Add(estimate.Lora ? "--precision bf16 (halves the frozen weights and activations)"
                : "--precision bf16 with LoRA");
        remedies.Add(string.Create(CultureInfo.InvariantCulture,
            $"a smaller --batch (now {estimate.BatchSize}) or --resolution (now {estimate.ImageSize})"));
        return string.Create(CultureInfo.InvariantCulture,
                $"alignment needs about {GiB(estimate.RequiredBytes)} GiB ({estimate.Summary()}, ")
            + string.Create(CultureInfo.InvariantCulture, $"+{(Headroom - 1) * 100:F0}% for workspaces and slack) ")
            + string.Create(CultureInfo.InvariantCulture, $"but {GiB(availableBytes)} GiB are available; try ")
            + string.Join(", ", remedies);
    }

    /// <summary>Where the bytes go, in one line of GiB.</summary>
    public string Summary()
    {
        var parts = new List<string> { $"weights {GiB(WeightBytes)}" };
        if (AdapterBytes > 0) parts.Add($"adapters {GiB(AdapterBytes)}");
        parts.Add($"gradients {GiB(GradientBytes)}");
        parts.Add($"AdamW {GiB(OptimizerStateBytes)}");
        if (ReferenceCopyBytes > 0) parts.Add($"reference copy {GiB(ReferenceCopyBytes)}");
        parts.Add($"activations {GiB(ActivationBytes)}");
        long largestOther = Math.Max(Math.Max(ReferenceForwardBytes, VaeEncodeBytes), OptimizerStepBytes);
        if (largestOther > ActivationBytes) parts.Add($"largest step phase {GiB(largestOther)}");
        return string.Join(", ", parts);
    }

    private static string GiB(long bytes) =>
        (bytes / (1024.0 * 1024 * 1024)).ToString(bytes < (1L << 30) ? "0.00" : "0.0", CultureInfo.InvariantCulture);

    /// <summary>Scalars in the adapters <paramref name="lora"/> puts on the model (added yet or not).</summary>
    private static long AdapterParameters(TextToImageModel policy, LoraConfig lora, bool textEncoder)
    {
        long count = 0;
        foreach (var module in policy.Unet.modules().Concat(textEncoder ? policy.TextEncoder.modules() : []))
        {
            if (module is not ILoraHost host) continue;
            var targets = module is ClipAttention ? LoraConfig.TextEncoderProjections : lora.TargetModules;
            foreach (var (_, layer) in host.Projections.Where(p => targets.Contains(p.Name)))
                count += (long)lora.Rank * (layer.weight!.shape[0] + layer.weight!.shape[1]);
        }
        return count;
    }
}

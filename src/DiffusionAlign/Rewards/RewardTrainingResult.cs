// What a reward model's training run measured, as written to training.json beside the model.
using System.Text.Json;
using System.Text.Json.Serialization;

namespace DiffusionAlign.Rewards;

/// <summary>One held-out evaluation during training.</summary>
/// <param name="Step">Steps done when it was measured.</param>
/// <param name="Loss">Mean Bradley–Terry loss on the held-out pairs.</param>
/// <param name="Accuracy">Held-out pairs whose chosen image the model scores higher (ties ½).</param>
/// <param name="TrainLoss">The loss of the training batch of that step.</param>
/// <param name="TrainAccuracy">The accuracy on the training batch of that step.</param>
public sealed record RewardHeldOutPoint(int Step, double Loss, double Accuracy, double TrainLoss, double TrainAccuracy);

/// <summary>The figures of a <see cref="RewardModelTrainer"/> run.</summary>
/// <param name="KeptStep">The step whose weights were kept (lowest held-out loss; the last step without a split).
/// </param>
/// <param name="HeldOutLoss">Held-out loss of the kept weights (null without a split).</param>
/// <param name="HeldOutAccuracy">Held-out accuracy on the labels of the kept weights (null without a split).</param>
public sealed record RewardTrainingResult(
    RewardTrainingConfig Settings,
    int TrainPairs,
    int HeldOutPairs,
    int HeldOutPrompts,
    int KeptStep,
    double? HeldOutLoss,
    double? HeldOutAccuracy,
    double FinalTrainLoss,
    double FinalTrainAccuracy,
    IReadOnlyList<RewardHeldOutPoint> HeldOut)
{
    public const string FileName = "training.json";

    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Options);

    /// <summary>Writes <c>training.json</c> into a reward model folder.</summary>
    public void Save(string dir) => File.WriteAllText(Path.Combine(dir, FileName), ToJson());
}

using DiffusionAlign.Evaluation;
using DiffusionAlign.Experiments.Study;
using static DiffusionAlign.Tests.Experiments.Study.TestFakes;

namespace DiffusionAlign.Tests.Experiments.Study;

public sealed class StudyVerdictsTests
{
    private static readonly TestRow Dpo = Row(StudyFamily.Dpo, 0.60, 0.52, 0.68);

    [Fact]
    public void AFormBeatsDpoWhenTheHeadToHeadExcludesAHalfAndTheIntervalsAgainstTheBaseDoNotOverlap()
    {
        var verdict = StudyVerdicts.For(Result(
            [Dpo, Row(StudyFamily.DspoSdxl, 0.80, 0.72, 0.88), Row(StudyFamily.DspoSd15, 0.58, 0.50, 0.66)],
            [Duel(StudyFamily.DspoSdxl, 0.70, 0.62, 0.78), Duel(StudyFamily.DspoSd15, 0.48, 0.40, 0.56)])).Single();

        Assert.Equal("yes: DSPO, SDXL branch beats Diffusion-DPO", verdict.Answer);
        Assert.Contains("Does DSPO beat DPO here? Yes: DSPO, SDXL branch beats Diffusion-DPO.", verdict.Paragraph);
        Assert.Contains("reaches the same head-to-head verdicts", verdict.Paragraph);
    }

    [Fact]
    public void APairedEdgeWithOverlappingIntervalsAgainstTheBaseIsNoClearDifference()
    {
        var verdict = StudyVerdicts.For(Result(
            [Dpo, Row(StudyFamily.DspoSdxl, 0.66, 0.58, 0.74)],
            [Duel(StudyFamily.DspoSdxl, 0.58, 0.52, 0.64, judge: SeedPooling.NoClearDifference)])).Single();

        Assert.Equal(SeedPooling.NoClearDifference, verdict.Answer);
        Assert.Contains("this counts as no clear difference", verdict.Paragraph);
        Assert.Contains("The second judge disagrees", verdict.Paragraph);
    }

    [Fact]
    public void DpoBeatingEveryFormIsSaidSo()
    {
        var verdict = StudyVerdicts.For(Result(
            [Dpo, Row(StudyFamily.DspoSd15, 0.30, 0.22, 0.38), Row(StudyFamily.DspoMargin, 0.31, 0.23, 0.39)],
            [Duel(StudyFamily.DspoSd15, 0.2, 0.1, 0.3), Duel(StudyFamily.DspoMargin, 0.25, 0.15, 0.35)])).Single();
        Assert.Equal("no: Diffusion-DPO beats every DSPO form", verdict.Answer);
    }
}

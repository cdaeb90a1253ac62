namespace DiffusionAlign.Experiments.Study;

/// <summary>Progress of a study: the stage, the item in it (a pair set, a run, a model), and done of total.</summary>
public sealed record StudyProgress(string Stage, string Item, int Done, int Total, string Status = "");

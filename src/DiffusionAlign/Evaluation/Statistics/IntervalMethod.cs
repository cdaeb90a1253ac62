namespace DiffusionAlign.Evaluation;

/// <summary>How <see cref="MeanWithInterval"/> turns a standard error into a 95% interval.</summary>
public enum IntervalMethod
{
    /// <summary>Student t with n − 1 degrees of freedom: right for few samples, equal to Normal for many.</summary>
    StudentT,

    /// <summary>Normal approximation, ± 1.96 standard errors.</summary>
    Normal,
}

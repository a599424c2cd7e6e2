using System.Diagnostics.CodeAnalysis;

namespace Lanyard.Server.Common.Api;

/// <summary>
/// The outcome of reading one part of a list request: a value, or a message for the caller. A bad query
/// string is an expected input, so it travels as a value and never as an exception.
/// </summary>
internal sealed class Parsed<T>
{
    private Parsed(T? value, string? error)
    {
        Value = value;
        Error = error;
    }

    public T? Value { get; }

    public string? Error { get; }

    [MemberNotNullWhen(false, nameof(Error))]
    public bool IsValid => Error is null;

    public static Parsed<T> Ok(T value) => new(value, null);

    public static Parsed<T> Fail(string message) => new(default, message);
}

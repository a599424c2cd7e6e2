using System.Diagnostics;

namespace Lanyard.Server.Common;

/// <summary>
/// Error bodies of <c>/api/v1</c>, in Wristband's two shapes: <c>base_error</c> for a refusal with one
/// code, <c>constraint_violations_error</c> for invalid input (every broken rule, keyed by field). The
/// <c>ticket</c> is the request's trace id, so an operator can find the matching log lines.
/// </summary>
internal static class ApiErrors
{
    public static IResult Base(int status, string code, string message) =>
        TypedResults.Json(new BaseError("base_error", code, message, Ticket()), statusCode: status);

    public static IResult BadRequest(string code, string message) => Base(StatusCodes.Status400BadRequest, code, message);

    public static IResult Violations(ConstraintViolations violations, string message = "The request has invalid values.") =>
        TypedResults.Json(
            new ViolationsError(
                "constraint_violations_error", "message_body_constraint_violations", message, Ticket(),
                violations.ByField.ToDictionary(
                    p => p.Key,
                    p => p.Value.Select(v => new ViolationBody(v.Code, v.ConstraintAttributes)).ToList())),
            statusCode: StatusCodes.Status400BadRequest);

    private static string Ticket() => Activity.Current?.TraceId.ToString() ?? Guid.NewGuid().ToString("N");

    private sealed record BaseError(string Type, string Code, string Message, string Ticket);

    private sealed record ViolationsError(string Type, string Code, string Message, string Ticket, Dictionary<string, List<ViolationBody>> Violations);

    private sealed record ViolationBody(
        string Code,
        [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
        IReadOnlyDictionary<string, object>? ConstraintAttributes);
}

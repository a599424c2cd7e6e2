namespace Lanyard.Server.Common.Api;

/// <summary>Log events of the list conventions (EventIds 7500–7549). The caller's query text is never logged: it may carry emails.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 7501, Level = LogLevel.Information, Message = "List request on {Resource} refused with {Code}")]
    public static partial void ListRefused(ILogger logger, string resource, string code);
}

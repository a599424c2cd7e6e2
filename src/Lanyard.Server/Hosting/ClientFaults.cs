namespace Lanyard.Server.Hosting;

/// <summary>
/// Keeps faults of the client out of the error log: a client that disconnects mid-request (its body read
/// is cancelled) gets nothing and a Debug line; a malformed or oversized body gets the 400/413 Kestrel
/// chose instead of a 500. Real server errors still reach the exception handler.
/// </summary>
internal sealed partial class ClientFaults(RequestDelegate next, ILogger<ClientFaults> logger)
{
    public async Task InvokeAsync(HttpContext http)
    {
        try
        {
            await next(http);
        }
        catch (Exception e) when (http.RequestAborted.IsCancellationRequested && e is OperationCanceledException or IOException)
        {
            ClientDisconnected(logger, http.Request.Method, http.Request.Path);
        }
        catch (BadHttpRequestException e) when (!http.Response.HasStarted)
        {
            BadRequest(logger, http.Request.Method, http.Request.Path, e.StatusCode, e.Message);
            http.Response.Clear();
            http.Response.StatusCode = e.StatusCode;
        }
    }

    [LoggerMessage(EventId = 1211, Level = LogLevel.Debug, Message = "Client disconnected during {Method} {Path}")]
    private static partial void ClientDisconnected(ILogger logger, string method, PathString path);

    [LoggerMessage(EventId = 1212, Level = LogLevel.Information, Message = "Bad request body on {Method} {Path}: {Status} {Reason}")]
    private static partial void BadRequest(ILogger logger, string method, PathString path, int status, string reason);
}

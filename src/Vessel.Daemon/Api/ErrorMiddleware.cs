using Microsoft.AspNetCore.Http.Features;
using Vessel.Core;

namespace Vessel.Daemon.Api;

/// <summary>Turns every failure into the one JSON error shape; only a bug answers 500.</summary>
internal sealed class ErrorMiddleware(RequestDelegate next, ILogger<ErrorMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context);
            // Routing answers an unknown path or method with an empty body; give it the error shape too.
            if (!context.Response.HasStarted && context.Response.StatusCode is 404 or 405)
            {
                var request = context.Request;
                await Http.WriteErrorAsync(context.Response, context.Response.StatusCode, context.Response.StatusCode == 404
                    ? $"{request.Method} {request.Path}: no such API path"
                    : $"{request.Method} is not allowed on {request.Path}");
            }
        }
        catch (Exception e) when (!context.Response.HasStarted)
        {
            var (status, message) = e switch
            {
                VesselException v => (v.StatusCode, v.Message),
                BadHttpRequestException b => (b.StatusCode, b.Message),
                OperationCanceledException when context.RequestAborted.IsCancellationRequested => (499, "request aborted"),
                _ when StorageFullException.IsCause(e) => (507, $"out of disk space: {e.Message}"),
                _ => (500, $"internal error: {e.Message}"),
            };
            if (status == 500)
                Log.UnexpectedError(logger, e, context.Request.Method, context.Request.Path);
            if (context.Features.Get<IHttpResponseFeature>() is { HasStarted: false })
                await Http.WriteErrorAsync(context.Response, status, message);
        }
    }
}

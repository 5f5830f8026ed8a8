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
            if (context.Response.StatusCode == 405 && !context.Response.HasStarted)
                await Http.WriteErrorAsync(context.Response, 405, $"{context.Request.Method} is not allowed on {context.Request.Path}");
        }
        catch (Exception e) when (!context.Response.HasStarted)
        {
            var (status, message) = e switch
            {
                VesselException v => (v.StatusCode, v.Message),
                BadHttpRequestException b => (b.StatusCode, b.Message),
                OperationCanceledException when context.RequestAborted.IsCancellationRequested => (499, "request aborted"),
                _ => (500, $"internal error: {e.Message}"),
            };
            if (status == 500)
                Log.UnexpectedError(logger, e, context.Request.Method, context.Request.Path);
            if (context.Features.Get<IHttpResponseFeature>() is { HasStarted: false })
                await Http.WriteErrorAsync(context.Response, status, message);
        }
    }
}

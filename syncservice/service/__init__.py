"""The service: watch the folder → wait until a file is stable → one worker runs the pipeline.

    watch (watchdog events, rescans) → settle (a file no longer changing) → jobs (one queue)
    → run (the service: catch-up, passes, the consolidated rewrite) · lock (one per store) · status"""

"""The baseline: a bare FastAPI endpoint that reads the body and answers, served like the product."""

from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse

app = FastAPI()


@app.post("/bare")
async def bare(request: Request) -> PlainTextResponse:
    await request.body()
    return PlainTextResponse("")

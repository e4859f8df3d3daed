"""Every aio Storage SDK type as a binding value of an async function."""

import json

from azure.storage.blob.aio import BlobClient, ContainerClient, StorageStreamDownloader
from azure.storage.queue.aio import QueueClient


async def main(
    client: BlobClient,
    container: ContainerClient,
    stream: StorageStreamDownloader,
    many: list[BlobClient],
    streams: list[StorageStreamDownloader],
    queue: QueueClient,
) -> str:
    await queue.send_message(f"seen {client.blob_name}")
    downloaded = await client.download_blob()
    return json.dumps(
        {
            "trigger": (await downloaded.readall()).decode(),
            "container": sorted([blob.name async for blob in container.list_blobs()]),
            "stream": (await stream.readall()).decode(),
            "stream_size": stream.size,
            "many": [blob.blob_name for blob in many],
            "streams": [(await each.readall()).decode() for each in streams],
            "queue": queue.queue_name,
        }
    )

"""Every sync Storage SDK type as a binding value; reports what it read."""

import json

from azure.storage.blob import BlobClient, ContainerClient, StorageStreamDownloader
from azure.storage.queue import QueueClient


def main(
    client: BlobClient,
    container: ContainerClient,
    stream: StorageStreamDownloader,
    many: list[BlobClient],
    streams: list[StorageStreamDownloader],
    queue: QueueClient,
) -> str:
    queue.send_message(f"seen {client.blob_name}")
    return json.dumps(
        {
            "trigger": client.download_blob().readall().decode(),
            "container": sorted(blob.name for blob in container.list_blobs()),
            "stream": stream.readall().decode(),
            "many": [blob.blob_name for blob in many],
            "streams": [each.readall().decode() for each in streams],
            "queue": queue.queue_name,
        }
    )

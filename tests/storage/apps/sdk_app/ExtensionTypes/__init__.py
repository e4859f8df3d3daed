"""An app written for azurefunctions-extensions-bindings-blob, unchanged."""

import json

from azurefunctions.extensions.bindings import blob


def main(
    client: blob.BlobClient, container: blob.ContainerClient, stream: blob.StorageStreamDownloader
) -> str:
    return json.dumps(
        {
            "trigger": client.download_blob().readall().decode(),
            "container": sorted(item.name for item in container.list_blobs()),
            "stream": stream.readall().decode(),
        }
    )

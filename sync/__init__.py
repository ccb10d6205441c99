"""The link to the central eConsulat: the client interface here; pusher, puller and the reference central
come with the central API issue."""

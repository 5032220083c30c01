# The emulator as a container image, for the contract suite's `container` target and for CI
# pipelines that prefer a service container. Build after `npm ci` (the image copies the
# installed dependencies rather than reaching a registry, so it also builds offline):
#
#   npm ci && docker build -t sandbox-emulator . && docker run --rm -p 127.0.0.1:4747:4747 sandbox-emulator
#
# The emulator runs any command it is sent. Publish the port on the host's loopback, as above: a
# bare `-p 4747:4747` puts it on every interface of the host, where anyone on the network can run
# commands in the container. To face a network, require tokens (arguments after the image name
# go to `start`): docker run -p 4747:4747 sandbox-emulator --blaxel-token T --tensorlake-token T
# --agentbox-token T. Without them the emulator prints a warning at start.
#
# Commands run inside the container, with the base image's shell and tools.
FROM node:20-slim
WORKDIR /app
COPY . .
ENV NODE_ENV=production
# The CLI's bundle (dist/cli.js) and the cache of validated documents are made once, here, so
# that every container starts from JavaScript with its documents known to be valid.
RUN node scripts/build-cli.js
EXPOSE 4747
# 0.0.0.0 inside the container only: the port is published to the host by `docker run -p`.
ENTRYPOINT ["node", "bin/sandbox-emulator.js", "start", "--host", "0.0.0.0", "--port", "4747"]

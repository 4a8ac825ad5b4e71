# Stand-in for eclipse-temurin:25-jre (see jdk.Dockerfile): java on PATH, JAVA_HOME=/opt/java/openjdk,
# apt usable by the worker's training stage (it installs redis-server and curl), bash (the
# HEALTHCHECKs), useradd.
FROM conveyor-stand-in/debian:trixie
COPY ca/ /usr/local/share/ca-certificates/
RUN apt-get update -q \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
       openjdk-25-jre-headless ca-certificates \
    && update-ca-certificates \
    && mkdir -p /opt/java && ln -s /usr/lib/jvm/java-25-openjdk-amd64 /opt/java/openjdk \
    && rm -rf /var/lib/apt/lists/*
ENV JAVA_HOME=/opt/java/openjdk
ENV PATH=/opt/java/openjdk/bin:$PATH

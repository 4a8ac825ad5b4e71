# Stand-in for eclipse-temurin:25-jdk where no image registry is reachable (scripts/compose-test.sh
# builds it on a debootstrapped Debian). What the project's Dockerfile relies on: java and javac on
# PATH, JAVA_HOME=/opt/java/openjdk, curl, and HTTPS that trusts this machine's CAs (mvnw downloads).
FROM conveyor-stand-in/debian:trixie
COPY ca/ /usr/local/share/ca-certificates/
RUN apt-get update -q \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
       openjdk-25-jdk-headless ca-certificates curl \
    && update-ca-certificates \
    && mkdir -p /opt/java && ln -s /usr/lib/jvm/java-25-openjdk-amd64 /opt/java/openjdk \
    && rm -rf /var/lib/apt/lists/*
ENV JAVA_HOME=/opt/java/openjdk
ENV PATH=/opt/java/openjdk/bin:$PATH

(
  x_servicecode IN ('AmazonBedrock', 'AmazonBedrockService', 'AmazonBedrockFoundationModels')
  OR servicename LIKE '%(Amazon Bedrock Edition)%'
  OR servicename IN ('Amazon Bedrock', 'Amazon Bedrock Service')
  OR resourceid LIKE 'arn:aws:bedrock:%'
)

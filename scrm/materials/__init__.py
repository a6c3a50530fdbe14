"""Scripts (话术库) and materials (素材库) salespeople send into WeCom chats from the sidebar."""
